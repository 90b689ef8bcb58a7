import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, parseEnvelope } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('an unknown flag exits 2 and names the flag', async () => {
  const r = await runCli(['--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--bogus/);
  const sub = await runCli(['config', 'check', '--bogus-flag']);
  assert.equal(sub.code, 2);
  assert.match(sub.stderr, /--bogus-flag/);
});

test('an unknown command exits 2; help works both ways', async () => {
  assert.equal((await runCli(['frobnicate'])).code, 2);
  const a = await runCli(['help', 'config']);
  const b = await runCli(['config', '--help']);
  assert.equal(a.code, 0);
  assert.equal(b.code, 0);
  assert.match(a.stdout, /check/);
  assert.equal(a.stdout, b.stdout);
});

test('config check reports all three mistakes with line numbers and exits 2', async () => {
  const dir = tempDir();
  try {
    const f = join(dir.path, 'relay.yaml');
    writeFileSync(f, ['# relay', 'listen: 0.0.0.0:2525', 'max-conections: 3', 'smarthost: omr.tzo.com:99999', 'allow:', '  - 192.168.1.0/24', '  - 10.0.0.300/8', ''].join('\n'));
    const r = await runCli(['config', 'check', f]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /relay\.yaml:3: max-conections: unknown key \(did you mean "max-connections"\?\)/);
    assert.match(r.stderr, /relay\.yaml:4: smarthost: port 99999/);
    assert.match(r.stderr, /relay\.yaml:7: allow\[1\]/);
    assert.equal(r.stdout, '');
    const j = await runCli(['config', 'check', f, '--json']);
    assert.equal(j.code, 2);
    const env = parseEnvelope(j);
    assert.equal(env.ok, false);
    assert.equal(env.command, 'config check');
    assert.deepEqual(env.data.error.problems.map((p: { line: number }) => p.line), [3, 4, 7]);
  } finally {
    dir.cleanup();
  }
});

test('config check --json gives the envelope with effective settings, secrets redacted', async () => {
  const dir = tempDir();
  try {
    const f = join(dir.path, 'relay.yaml');
    writeFileSync(f, 'listen: 127.0.0.1:2525\nuser: office@example.com\n');
    const r = await runCli(['config', 'check', f, '--json'], { env: { OMR_PASSWORD: 'TopSecret-42', OMR_MAX_CONNECTIONS: '3' } });
    assert.equal(r.code, 0, r.stderr);
    const env = parseEnvelope(r);
    for (const k of ['schemaVersion', 'command', 'ok', 'verdict', 'startedAt', 'durationMs', 'checks', 'data']) assert.ok(k in env, `envelope lacks ${k}`);
    assert.equal(env.schemaVersion, 1);
    assert.equal(env.verdict, 'pass');
    const byKey = Object.fromEntries(env.data.settings.map((s: { key: string; value: string; origin: string }) => [s.key, s]));
    assert.equal(byKey['max-connections'].value, '3');
    assert.equal(byKey['max-connections'].origin, 'env');
    assert.equal(byKey.listen.origin, 'file');
    assert.doesNotMatch(r.stdout + r.stderr, /TopSecret-42/);
  } finally {
    dir.cleanup();
  }
});

test('--strict turns warnings into exit 1; usage errors give an envelope with --json', async () => {
  const dir = tempDir();
  try {
    const f = join(dir.path, 'relay.yaml');
    writeFileSync(f, 'max-connections: 9\n');
    assert.equal((await runCli(['config', 'check', f])).code, 0);
    const strict = await runCli(['config', 'check', f, '--strict', '--json']);
    assert.equal(strict.code, 1);
    assert.equal(parseEnvelope(strict).ok, false);
    const usage = await runCli(['config', 'check', '--json', '--nope']);
    assert.equal(usage.code, 2);
    assert.equal(parseEnvelope(usage).ok, false);
  } finally {
    dir.cleanup();
  }
});

test('colour: off when piped, on with FORCE_COLOR, off again with --no-color', async () => {
  const dir = tempDir();
  try {
    const f = join(dir.path, 'relay.yaml');
    writeFileSync(f, 'spool: /tmp/x\n');
    const plain = await runCli(['config', 'check', f]);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
    const forced = await runCli(['config', 'check', f], { env: { FORCE_COLOR: '1' } });
    assert.match(forced.stdout, /\x1b\[/);
    const off = await runCli(['config', 'check', f, '--no-color'], { env: { FORCE_COLOR: '1' } });
    assert.doesNotMatch(off.stdout, /\x1b\[/);
  } finally {
    dir.cleanup();
  }
});
