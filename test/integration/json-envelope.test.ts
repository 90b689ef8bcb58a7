// Every command's --json output is exactly one envelope on stdout. A command added to the
// registry without a case here fails the coverage test, so the contract cannot be skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { commands } from '../../src/cli/registry.js';
import type { CommandSpec } from '../../src/cli/spec.js';
import { runCli, parseEnvelope, type CliOptions } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function leaves(s: CommandSpec, path: string[] = []): string[] {
  const here = [...path, s.name];
  return s.subcommands?.length ? s.subcommands.flatMap((x) => leaves(x, here)) : [here.join(' ')];
}

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Case {
  args: (dir: string, port: number) => string[];
  codes: number[];
  opts?: CliOptions;
}

const CASES: Record<string, Case> = {
  'relay start': { args: (d) => ['relay', 'start', '--demo', '--spool', join(d, 'spool-demo'), '--json'], codes: [0], opts: { stopWhen: /relay listening/ } },
  'relay status': { args: (d) => ['relay', 'status', '--spool', join(d, 'spool'), '--json'], codes: [0] },
  'relay clients': { args: (d) => ['relay', 'clients', '--spool', join(d, 'spool'), '--json'], codes: [0] },
  'relay trace': { args: (d) => ['relay', 'trace', '192.168.1.7', '--since', '1h', '--spool', join(d, 'spool'), '--json'], codes: [0] },
  'relay install-service': { args: (d) => ['relay', 'install-service', '--dry-run', '--spool', join(d, 'spool'), '--json'], codes: [0] },
  'queue list': { args: (d) => ['queue', 'list', '--spool', join(d, 'spool'), '--json'], codes: [0] },
  'queue show': { args: (d) => ['queue', 'show', 'NOSUCHID', '--spool', join(d, 'spool'), '--json'], codes: [1, 2] },
  'queue flush': { args: (d) => ['queue', 'flush', '--spool', join(d, 'spool'), '--json'], codes: [0] },
  'queue delete': { args: (d) => ['queue', 'delete', 'NOSUCHID', '--spool', join(d, 'spool'), '--json'], codes: [0, 1, 2] },
  'queue hold': { args: (d) => ['queue', 'hold', 'NOSUCHID', '--spool', join(d, 'spool'), '--json'], codes: [0, 1, 2] },
  'queue release': { args: (d) => ['queue', 'release', 'NOSUCHID', '--spool', join(d, 'spool'), '--json'], codes: [0, 1, 2] },
  test: { args: (_d, p) => ['test', '127.0.0.1', '--port', String(p), '--timeout', '3', '--json'], codes: [1] },
  'check-exposure': { args: (_d, p) => ['check-exposure', '127.0.0.1', '--ports', String(p), '--timeout', '3', '--json'], codes: [0] },
  'config generate': { args: (d) => ['config', 'generate', 'postfix', '--user', 'office@example.com', '--out', join(d, 'out'), '--json'], codes: [0], opts: { env: { OMR_PASSWORD: 'pw:with #odd "chars"' } } },
  setup: {
    args: (d) => {
      writeFileSync(join(d, 'answers.yaml'), 'server: postfix\nuser: office@example.com\nlan: 192.168.1.0/24\n');
      return ['setup', '--answers', join(d, 'answers.yaml'), '--out', join(d, 'out'), '--json'];
    },
    codes: [0],
    opts: { env: { OMR_PASSWORD: 'pw:with #odd "chars"' } },
  },
  'config check': { args: (d) => ['config', 'check', join(d, 'relay.yaml'), '--json'], codes: [0] },
  simulate: { args: (d) => ['simulate', '--listen', '127.0.0.1:0', '--user', 'u@example.test', '--ca-out', join(d, 'ca.pem'), '--json'], codes: [0], opts: { env: { OMR_PASSWORD: 'pw' }, stopWhen: /listening/ } },
};

test('every command has a --json case here', () => {
  const all = commands.flatMap((c) => leaves(c));
  assert.deepEqual(all.filter((c) => !(c in CASES)), [], 'commands without a JSON envelope case');
});

for (const [name, c] of Object.entries(CASES)) {
  test(`omr ${name} --json prints one envelope`, { timeout: 60_000 }, async (t) => {
    if (!commands.flatMap((s) => leaves(s)).includes(name)) return t.skip(`${name} is not registered`);
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'spool'), { mode: 0o700 });
      writeFileSync(join(dir.path, 'relay.yaml'), 'listen: 127.0.0.1:2525\n');
      const r = await runCli(c.args(dir.path, await closedPort()), { timeoutMs: 45_000, ...c.opts });
      assert.ok(c.codes.includes(r.code!), `exit ${r.code}, expected ${c.codes.join('/')}\n${r.stderr}`);
      const env = parseEnvelope(r);
      assert.equal(env.schemaVersion, 1);
      assert.equal(env.command, name);
      assert.equal(env.ok, r.code === 0);
      assert.ok(['pass', 'warn', 'fail'].includes(env.verdict));
      assert.ok(Array.isArray(env.checks) && typeof env.data === 'object');
      assert.ok(!Number.isNaN(Date.parse(env.startedAt)) && typeof env.durationMs === 'number');
      assert.doesNotMatch(r.stdout + r.stderr, /pw:with #odd/);
    } finally {
      dir.cleanup();
    }
  });
}
