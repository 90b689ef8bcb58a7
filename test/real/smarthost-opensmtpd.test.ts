// OpenSMTPD from Debian with the smtpd.conf and credentials table `omr config generate
// opensmtpd` writes (inside a private mount namespace): smtpd -n accepts it, then a message sent
// to its loopback listener reaches the simulator over smtp+tls with the labelled credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import {
  freePort, namespaceTools, OMR, prelude, requireOrSkip, runInNamespace, SIM_IP, SIM_NAME, startRehearsal, traceTail, unpackedRoots, waitForFile,
} from '../helpers/mta.js';
import { NASTY_PASSWORD, TEST_USER } from '../helpers/smarthost-answers.js';

test('opensmtpd: generated config relays through the simulator with smtp+tls + auth label', { timeout: 240_000 }, async (t) => {
  const missing = namespaceTools();
  if (!requireOrSkip(t, missing ?? '', missing === undefined)) return;
  let roots: string[];
  try {
    roots = unpackedRoots(['opensmtpd']);
  } catch (e) {
    if (!requireOrSkip(t, `opensmtpd package (${(e as Error).message})`, false)) return;
    throw e;
  }
  const r = await startRehearsal();
  const port = await freePort();
  const D = r.dir;
  const script = prelude(D, roots, { [SIM_NAME]: SIM_IP }) + `
ensure_group opensmtpd; ensure_group opensmtpq
ensure_user opensmtpd opensmtpd /var/lib/opensmtpd/empty; ensure_user opensmtpq opensmtpq /var/lib/opensmtpd/empty
mkdir -p /var/lib/opensmtpd/empty /etc/smtpd /var/mail
echo gw.test.example > /etc/mailname
touch /etc/aliases
${OMR} config generate opensmtpd --user '${TEST_USER}' --smarthost ${SIM_NAME}:${r.sim.port} --ca ${r.caFile} --lan 192.168.77.0/24 --listen 127.0.0.1:${port} --hostname gw.test.example --json > $D/gen.json || true
stat -c '%a %U:%G' /etc/smtpd/omr-secrets > $D/modes.txt
smtpd -d -v > $D/smtpd.log 2>&1 &
for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && break; sleep 0.1; done
touch $D/ready
for i in $(seq 1 900); do [ -e $D/stop ] && break; sleep 0.1; done
`;
  let done = false;
  const ns = runInNamespace(script, { OMR_PASSWORD: NASTY_PASSWORD, NO_COLOR: '1' }, 180_000).then((x) => { done = true; return x; });
  t.after(async () => {
    writeFileSync(join(D, 'stop'), '');
    await ns;
    await r.close();
  });
  const smtpdLog = () => { try { return readFileSync(join(D, 'smtpd.log'), 'utf8').slice(-3000); } catch { return '(no log)'; } };
  if (!(await waitForFile(join(D, 'ready'), 120_000, () => !done))) {
    const res = await ns;
    assert.fail(`namespace setup failed (${res.code}):\n${res.stderr.slice(-2000)}\n${traceTail(D)}\n${smtpdLog()}`);
  }
  const gen = JSON.parse(readFileSync(join(D, 'gen.json'), 'utf8'));
  const check = gen.checks.find((c: { id: string }) => c.id === 'mta:smtpd');
  assert.equal(check?.status, 'pass', `smtpd -n: ${JSON.stringify(check)}`);
  assert.equal(readFileSync(join(D, 'modes.txt'), 'utf8').trim(), '640 root:opensmtpd');
  const tx = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  await tx.sendMail({ from: 'clerk@gw.test.example', to: 'customer@example.org', subject: 'opensmtpd rehearsal', text: 'hello through opensmtpd' });
  tx.close();
  const [msg] = await r.sim.waitForMessages(1, 60_000).catch((e) => { throw new Error(`${(e as Error).message}\n${smtpdLog()}`); });
  assert.equal(msg!.user, TEST_USER);
  assert.ok(msg!.tls, 'arrived over TLS');
  assert.deepEqual(msg!.envelope.rcptTo, ['customer@example.org']);
});
