// Golden files for every generator (UPDATE_GOLDEN=1 rewrites them), and security invariants
// that must hold for every server whatever the golden text says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, NO_PASSWORD, SERVERS } from '../../src/smarthost/index.js';
import { fixedAnswers, NASTY_PASSWORD } from '../helpers/smarthost-answers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/smarthost/', import.meta.url));

function golden(rel: string, actual: string): void {
  const path = join(FIXTURES, rel);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    assert.fail(`golden file ${rel} is missing; run with UPDATE_GOLDEN=1 once and review it`);
  }
  assert.equal(actual, expected, `${rel} differs from its golden file`);
}

for (const server of SERVERS) {
  test(`golden: ${server}`, () => {
    const a = fixedAnswers(server, server === 'dma' ? { fingerprint: 'AB'.repeat(32) } : {});
    if (NO_PASSWORD.has(server)) delete a.password;
    const g = generate(a);
    for (const f of g.files) golden(`${server}/${f.path.replace(/^\/+/, '')}`, f.content);
    const meta = {
      files: g.files.map((f) => ({ path: f.path, mode: f.mode.toString(8).padStart(4, '0'), owner: f.owner, secret: f.secret, merge: f.merge.kind })),
      steps: g.steps.map((s) => s.text),
      checks: g.checks.map((s) => s.text),
      warnings: g.warnings,
    };
    golden(`${server}/plan.json`, JSON.stringify(meta, null, 2) + '\n');
  });

  test(`invariants: ${server}`, () => {
    const a = fixedAnswers(server, server === 'dma' ? { fingerprint: 'ab'.repeat(32) } : {});
    const g = generate(a);
    for (const f of g.files) {
      const holdsPassword = f.content.includes(NASTY_PASSWORD) || f.secret;
      if (holdsPassword) assert.equal(f.mode & 0o007, 0, `${f.path} holds a secret and is world-readable`);
      if (!f.secret) assert.ok(!f.content.includes('pa:ss#w'), `${f.path} is not marked secret but contains the password`);
    }
    // Every server gets the "is the rule enabled" reminder, and nothing mentions an open relay setting.
    assert.ok(g.steps.some((s) => /SmartHost rule is enabled/.test(s.text)), 'missing enabled-rule reminder');
    const all = g.files.map((f) => f.content).join('\n');
    assert.ok(!/0\.0\.0\.0\/0|inet_interfaces = all|::\/0/.test(all), 'wide-open listening or relaying');
    if (NO_PASSWORD.has(server)) assert.ok(!all.includes('pa:ss'), `${server} must never write the password`);
  });
}

test('exchange never writes the password and uses Get-Credential', () => {
  const a = fixedAnswers('exchange');
  delete a.password;
  const g = generate(a);
  assert.match(g.files[0]!.content, /Get-Credential/);
  assert.match(g.files[0]!.content, /-AuthenticationCredential \$cred/);
});

test('implicit TLS on 465 where supported, refused where not', () => {
  const ok = ['postfix', 'exim4', 'opensmtpd', 'msmtp', 'nullmailer', 'dma', 'hmailserver', 'omr-relay', 'mdaemon'] as const;
  for (const s of ok) {
    const g = generate(fixedAnswers(s, { smarthost: 'omr.tzo.com:465', fingerprint: 'ab'.repeat(32) }));
    assert.ok(g.files.some((f) => /465/.test(f.content)), `${s}: port 465 missing`);
  }
  assert.match(generate(fixedAnswers('postfix', { tls: 'implicit', smarthost: 'omr.tzo.com' })).files[0]!.content, /smtp_tls_wrappermode = yes/);
  assert.match(generate(fixedAnswers('opensmtpd', { tls: 'implicit', smarthost: 'omr.tzo.com' })).files[0]!.content, /smtps:\/\/omr@omr\.tzo\.com:465/);
  assert.match(generate(fixedAnswers('exim4', { tls: 'implicit', smarthost: 'omr.tzo.com' })).files[1]!.content, /PROTOCOL = smtps/);
  for (const s of ['exchange', 'iis-smtp', 'sendmail', 'argosoft'] as const)
    assert.throws(() => generate(fixedAnswers(s, { tls: 'implicit' })), /implicit TLS/);
});

test('--ca replaces the system trust store everywhere it can be set', () => {
  const ca = '/tmp/sim-ca.pem';
  const expect: Record<string, RegExp> = {
    postfix: /smtp_tls_CAfile = \/tmp\/sim-ca\.pem/,
    exim4: /TLS_VERIFY_CERTIFICATES = \/tmp\/sim-ca\.pem/,
    msmtp: /tls_trust_file "\/tmp\/sim-ca\.pem"/,
    nullmailer: /--x509cafile='\/tmp\/sim-ca\.pem'/,
    opensmtpd: /ca "\*" cert "\/tmp\/sim-ca\.pem"/,
    'omr-relay': /ca: \/tmp\/sim-ca\.pem/,
    sendmail: /confCACERT', `\/tmp\/sim-ca\.pem'/,
  };
  for (const [s, re] of Object.entries(expect)) {
    const g = generate(fixedAnswers(s as never, { ca }));
    assert.match(g.files.map((f) => f.content).join('\n'), re, s);
  }
});

test('dma without a fingerprint warns that it cannot verify the certificate', () => {
  const g = generate(fixedAnswers('dma'));
  assert.ok(g.warnings.some((w) => /cannot verify/.test(w)));
  assert.ok(!/FINGERPRINT/.test(g.files[0]!.content));
});
