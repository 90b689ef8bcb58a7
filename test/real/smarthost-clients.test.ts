// The send-only MTAs (msmtp, nullmailer, dma) with the files `omr config generate` writes to
// their system paths inside a private mount namespace: each sends one message to the simulator,
// which accepts it only over TLS and only with the right password (the nasty one).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespaceTools, OMR, prelude, requireOrSkip, runInNamespace, SIM_IP, SIM_NAME, starttlsFingerprint, startRehearsal, traceTail, unpackedRoots, type Rehearsal } from '../helpers/mta.js';
import { NASTY_PASSWORD, TEST_USER } from '../helpers/smarthost-answers.js';

const MESSAGE = "printf 'Subject: rehearsal\\n\\nhello through %s\\n'";

async function rehearse(
  t: TestContext,
  pkgs: string[],
  body: (r: Rehearsal, gen: string) => string,
  prepare: (r: Rehearsal) => Promise<Record<string, string>> = async () => ({}),
  implicit = false,
): Promise<Rehearsal | undefined> {
  const missing = namespaceTools();
  if (!requireOrSkip(t, missing ?? '', missing === undefined)) return undefined;
  let roots: string[];
  try {
    roots = unpackedRoots(pkgs);
  } catch (e) {
    if (!requireOrSkip(t, `${pkgs.join(', ')} (${(e as Error).message})`, false)) return undefined;
    throw e;
  }
  const r = await startRehearsal({ tlsPort: implicit });
  t.after(() => r.close());
  const server = pkgs[0];
  const target = implicit ? `${SIM_NAME}:${r.sim.tlsPort} --tls implicit` : `${SIM_NAME}:${r.sim.port}`;
  const env = await prepare(r);
  const gen = `${OMR} config generate ${server} --user '${TEST_USER}' --smarthost ${target} --ca ${r.caFile} --hostname gw.test.example --json > $D/gen.json || true`;
  const res = await runInNamespace(prelude(r.dir, roots, { [SIM_NAME]: SIM_IP }) + body(r, gen), { OMR_PASSWORD: NASTY_PASSWORD, NO_COLOR: '1', ...env }, 150_000);
  assert.equal(res.code, 0, `namespace script failed:\n${res.stdout.slice(-1500)}\n${res.stderr.slice(-2000)}\n${traceTail(r.dir)}`);
  const [msg] = await r.sim.waitForMessages(1, 20_000).catch((e) => {
    throw new Error(`${(e as Error).message}\n${res.stdout.slice(-1500)}\n${res.stderr.slice(-2500)}`);
  });
  assert.equal(msg!.user, TEST_USER, 'authenticated as the configured user');
  assert.ok(msg!.tls, 'arrived over TLS');
  assert.deepEqual(msg!.envelope.rcptTo, ['customer@example.org']);
  assert.match(msg!.raw!.toString(), new RegExp(`hello through ${server}`));
  return r;
}

function genCheck(r: Rehearsal, id: string): string {
  const gen = JSON.parse(readFileSync(join(r.dir, 'gen.json'), 'utf8'));
  const c = gen.checks.find((x: { id: string }) => x.id === id);
  return c ? `${c.status}${c.status === 'pass' ? '' : ` ${JSON.stringify(c)}`}` : `missing (${JSON.stringify(gen.checks)})`;
}

test('msmtp: generated /etc/msmtprc sends through the simulator with STARTTLS + AUTH', { timeout: 200_000 }, async (t) => {
  const r = await rehearse(t, ['msmtp'], (_r, gen) => `
${gen}
stat -c '%a %U' /etc/msmtprc > $D/modes.txt
${MESSAGE} msmtp | msmtp --file=/etc/msmtprc -f clerk@gw.test.example customer@example.org
`);
  if (!r) return;
  assert.equal(genCheck(r, 'mta:msmtp'), 'pass');
  assert.equal(readFileSync(join(r.dir, 'modes.txt'), 'utf8').trim(), '600 root');
});

test('nullmailer: generated remotes (shell-quoted password) send through the simulator', { timeout: 200_000 }, async (t) => {
  const r = await rehearse(t, ['nullmailer'], (_r, gen) => `
mkdir -p /var/spool/nullmailer/queue /var/spool/nullmailer/tmp /var/spool/nullmailer/failed
rm -f /var/spool/nullmailer/trigger; mkfifo /var/spool/nullmailer/trigger
chown -R mail:mail /var/spool/nullmailer
${gen}
echo 0 > /etc/nullmailer/pausetime
stat -c '%a %U' /etc/nullmailer/remotes > $D/modes.txt
${MESSAGE} nullmailer | /usr/sbin/sendmail -f clerk@gw.test.example customer@example.org
# One queue run as the mail user (pausetime 0 = one-shot), bounded.
timeout 60 setpriv --reuid=mail --regid=mail --init-groups /usr/sbin/nullmailer-send 2>&1 | tail -20
`);
  if (!r) return;
  assert.equal(readFileSync(join(r.dir, 'modes.txt'), 'utf8').trim(), '600 mail');
});

test('dma: generated dma.conf + auth.conf (certificate pinned) send through the simulator', { timeout: 200_000 }, async (t) => {
  // dma pins the certificate's fingerprint instead of checking a CA chain.
  const r = await rehearse(
    t,
    ['dma'],
    (_r, gen) => `
mkdir -p /var/spool/dma; chown root:mail /var/spool/dma; chmod 2775 /var/spool/dma
${gen.replace('--json', '--fingerprint "$FP" --json')}
stat -c '%a %U:%G' /etc/dma/auth.conf > $D/modes.txt
grep -c '^FINGERPRINT' /etc/dma/dma.conf > $D/fp.txt
${MESSAGE} dma | dma -D -f clerk@gw.test.example customer@example.org 2>&1 | tail -20
`,
    async (rr) => ({ FP: await starttlsFingerprint(SIM_IP, rr.sim.port) }),
  );
  if (!r) return;
  assert.equal(readFileSync(join(r.dir, 'modes.txt'), 'utf8').trim(), '640 root:mail');
  assert.equal(readFileSync(join(r.dir, 'fp.txt'), 'utf8').trim(), '1');
});

test('msmtp: implicit TLS (port 465 style listener) with --tls implicit', { timeout: 200_000 }, async (t) => {
  const r = await rehearse(t, ['msmtp'], (_r, gen) => `
${gen}
grep -c '^tls_starttls off' /etc/msmtprc > $D/implicit.txt
${MESSAGE} msmtp | msmtp --file=/etc/msmtprc -f clerk@gw.test.example customer@example.org
`, async () => ({}), true);
  if (!r) return;
  assert.equal(readFileSync(join(r.dir, 'implicit.txt'), 'utf8').trim(), '1');
});

test('msmtp without --ca refuses the simulator: certificates are verified by default', { timeout: 200_000 }, async (t) => {
  const missing = namespaceTools();
  if (!requireOrSkip(t, missing ?? '', missing === undefined)) return;
  let roots: string[];
  try {
    roots = unpackedRoots(['msmtp']);
  } catch (e) {
    if (!requireOrSkip(t, `msmtp (${(e as Error).message})`, false)) return;
    throw e;
  }
  const r = await startRehearsal();
  t.after(() => r.close());
  const script = prelude(r.dir, roots, { [SIM_NAME]: SIM_IP }) + `
${OMR} config generate msmtp --user '${TEST_USER}' --smarthost ${SIM_NAME}:${r.sim.port} --hostname gw.test.example --json > $D/gen.json || true
${MESSAGE} msmtp | msmtp --file=/etc/msmtprc -f clerk@gw.test.example customer@example.org > $D/msmtp.txt 2>&1 && echo sent > $D/result || echo refused > $D/result
`;
  const res = await runInNamespace(script, { OMR_PASSWORD: NASTY_PASSWORD, NO_COLOR: '1' }, 120_000);
  assert.equal(res.code, 0, `${res.stderr.slice(-1500)}\n${traceTail(r.dir)}`);
  assert.equal(readFileSync(join(r.dir, 'result'), 'utf8').trim(), 'refused');
  assert.match(readFileSync(join(r.dir, 'msmtp.txt'), 'utf8'), /TLS|certificate/i);
  assert.equal(r.sim.messages().length, 0, 'nothing reached the smarthost');
  assert.equal(r.sim.stats().sessions, 0, 'no session authenticated (the password never left)');
});
