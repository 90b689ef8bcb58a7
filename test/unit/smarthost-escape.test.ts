// Each format's escaping, read back the way the target program reads it: by the program's own
// rules re-implemented here (from its source or measured behaviour) or by the real parser where
// one is at hand (sh, the yaml library, our own config loader).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { msmtpQuote, nullmailerQuote, psQuote, shQuote, shQuoteAlways } from '../../src/smarthost/escape.js';
import { generate } from '../../src/smarthost/index.js';
import { resolveRelayConfig } from '../../src/config/resolve.js';
import { fixedAnswers, NASTY_PASSWORD, TEST_USER } from '../helpers/smarthost-answers.js';

const SAMPLES = [NASTY_PASSWORD, "it's", 'a\'"b', '\\', "'", '""', 'x\\\'y', '#lead', 'tab-free ü', "‘curly’"];

/** nullmailer 2.2 lib/argparse.cc, including its skip-after-escape quirk. */
function nullmailerParse(line: string): string[] {
  const out: string[] = [];
  let p = 0;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (p < line.length) {
    if (isSpace(line[p])) { p++; continue; }
    let arg = '';
    let start = p;
    for (; p < line.length && !isSpace(line[p]); ++p) {
      const c = line[p];
      if (c === "'") {
        arg += line.slice(start, p);
        for (start = ++p; p < line.length && line[p] !== "'"; ++p);
        arg += line.slice(start, p);
        start = p + 1;
      } else if (c === '"') {
        arg += line.slice(start, p);
        for (start = ++p; p < line.length && line[p] !== '"'; p++) {
          if (line[p] === '\\') { arg += line.slice(start, p); if (++p < line.length) arg += line[p]; start = ++p; }
        }
        arg += line.slice(start, p);
        start = p + 1;
      } else if (c === '\\') {
        arg += line.slice(start, p);
        if (++p < line.length) arg += line[p];
        start = ++p;
      }
    }
    if (p - start > 0) arg += line.slice(start, p);
    out.push(arg);
  }
  return out;
}

test('shQuote / shQuoteAlways read back by /bin/sh', () => {
  for (const s of SAMPLES) {
    for (const q of [shQuote, shQuoteAlways]) {
      const got = execFileSync('sh', ['-c', `printf '%s' ${q(s)}`], { encoding: 'utf8' });
      assert.equal(got, s);
    }
  }
});

test('nullmailer remotes: quoting survives its argparse (and sh)', () => {
  for (const s of SAMPLES) {
    assert.deepEqual(nullmailerParse(`host smtp --pass=${nullmailerQuote(s)} --x=1`), ['host', 'smtp', `--pass=${s}`, '--x=1']);
    assert.equal(execFileSync('sh', ['-c', `printf '%s' ${nullmailerQuote(s)}`], { encoding: 'utf8' }), s);
  }
  // The classic '\'' form is what nullmailer misreads (why nullmailerQuote exists).
  assert.notDeepEqual(nullmailerParse(`--pass='it'\\''s x'`), ["--pass=it's x"]);
});

test('nullmailer generated line parses to the exact password', () => {
  const remotes = generate(fixedAnswers('nullmailer')).files[0]!.content.split('\n').find((l) => l.startsWith('omr.tzo.com'))!;
  const args = nullmailerParse(remotes);
  assert.ok(args.includes(`--pass=${NASTY_PASSWORD}`), args.join(' | '));
  assert.ok(args.includes(`--user=${TEST_USER}`));
});

test('msmtp: one pair of enclosing quotes, no escapes', () => {
  for (const s of SAMPLES) {
    const q = msmtpQuote(s);
    assert.equal(q.slice(1, -1), s);
  }
  const rc = generate(fixedAnswers('msmtp')).files[0]!.content;
  assert.ok(rc.split('\n').includes(`password "${NASTY_PASSWORD}"`));
});

test('PowerShell single quotes: doubled quote (curly ones too) reads back', () => {
  const psParse = (q: string) => {
    assert.ok(/^'/.test(q) && /'$/.test(q));
    return q.slice(1, -1).replace(/(['\u2018\u2019\u201a\u201b])\1/g, '$1');
  };
  for (const s of SAMPLES) assert.equal(psParse(psQuote(s)), s);
  const script = generate(fixedAnswers('hmailserver')).files[0]!.content;
  const m = /SetSMTPRelayerPassword\(('(?:[^']|'')*')\)/.exec(script);
  assert.equal(psParse(m![1]!), NASTY_PASSWORD);
});

test('sendmail authinfo: base64 fields decode to user and password', () => {
  const line = generate(fixedAnswers('sendmail')).files.find((f) => f.path === '/etc/mail/authinfo')!.content;
  const field = (k: string) => Buffer.from(new RegExp(`"${k}=([A-Za-z0-9+/=]+)"`).exec(line)![1]!, 'base64').toString('utf8');
  assert.equal(field('P'), NASTY_PASSWORD);
  assert.equal(field('U'), TEST_USER);
});

test('postfix, exim, opensmtpd, dma tables: password is the rest after the first colon', () => {
  const cases: Array<[string, string, (line: string) => string]> = [
    ['postfix', '/etc/postfix/sasl_passwd', (l) => l.slice(l.search(/\s/) + 1).trim()],
    ['exim4', '/etc/exim4/passwd.client', (l) => l.slice(l.indexOf(':') + 1)],
    ['opensmtpd', '/etc/smtpd/omr-secrets', (l) => l.slice(l.search(/\s/) + 1).trim()],
    ['dma', '/etc/dma/auth.conf', (l) => l.slice(l.indexOf('|') + 1).replace(/^[^:]*:/, `${TEST_USER}:`)],
  ];
  for (const [server, path, value] of cases) {
    const content = generate(fixedAnswers(server as never, { fingerprint: 'ab'.repeat(32) })).files.find((f) => f.path === path)!.content;
    const line = content.split('\n').find((l) => l && !l.startsWith('#'))!;
    const v = value(line);
    assert.equal(v.slice(0, v.indexOf(':')), TEST_USER, server);
    assert.equal(v.slice(v.indexOf(':') + 1), NASTY_PASSWORD, server);
  }
});

test('edge spaces are refused where the format trims them', () => {
  for (const server of ['postfix', 'exim4', 'opensmtpd', 'dma'] as const)
    assert.throws(() => generate(fixedAnswers(server, { password: ' padded ', fingerprint: 'ab'.repeat(32) })), /edge spaces|starts or ends/);
  assert.doesNotThrow(() => generate(fixedAnswers('msmtp', { password: ' padded ' })));
  assert.throws(() => generate(fixedAnswers('msmtp', { password: 'new\nline' })), /control character/);
});

test('exim update-exim4.conf.conf sources cleanly in sh', () => {
  const conf = generate(fixedAnswers('exim4', { lan: ['192.168.1.0/24', 'fd00:1::/64'] })).files[0]!.content;
  const out = execFileSync('sh', ['-c', `${conf}\nprintf '%s|%s|%s' "$dc_smarthost" "$dc_relay_nets" "$dc_local_interfaces"`], { encoding: 'utf8' });
  assert.equal(out, 'omr.tzo.com::587|192.168.1.0/24 : fd00::1::::/64|127.0.0.1 ; 192.168.1.10');
});

test('omr-relay YAML is valid for the relay config loader and keeps the secret out', () => {
  const g = generate(fixedAnswers('omr-relay', { ca: '/etc/omr/ca.pem' }));
  const yamlText = g.files[0]!.content;
  assert.ok(!yamlText.includes('pa:ss'));
  const doc = parseYaml(yamlText) as Record<string, unknown>;
  assert.equal(doc['password-file'], '/etc/omr/password');
  assert.equal(g.files[1]!.content, `${NASTY_PASSWORD}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'omr-relay-yaml-'));
  try {
    const file = join(dir, 'relay.yaml');
    writeFileSync(file, yamlText);
    const resolved = resolveRelayConfig({ file, env: {} }) as unknown as { config: Record<string, unknown>; warnings: unknown[] };
    const cfg = resolved.config;
    assert.equal(cfg.user, TEST_USER);
    assert.equal(cfg.maxConnections, 4);
    assert.deepEqual(cfg.smarthost, { host: 'omr.tzo.com', port: 587 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
