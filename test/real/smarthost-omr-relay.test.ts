// Our own relay started from the config `omr config generate omr-relay` writes to /etc/omr
// (inside a private mount namespace): the real relay accepts the YAML and the 0600 password
// file, and a message sent to it reaches the simulator over STARTTLS with AUTH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { freePort, namespaceTools, OMR, prelude, requireOrSkip, runInNamespace, SIM_IP, SIM_NAME, startRehearsal, traceTail, waitForFile } from '../helpers/mta.js';
import { NASTY_PASSWORD, TEST_USER } from '../helpers/smarthost-answers.js';

test('omr-relay: generated relay.yaml + password file drive `omr relay start` to the simulator', { timeout: 180_000 }, async (t) => {
  const missing = namespaceTools();
  if (!requireOrSkip(t, missing ?? '', missing === undefined)) return;
  const r = await startRehearsal();
  const port = await freePort();
  const D = r.dir;
  const script = prelude(D, [], { [SIM_NAME]: SIM_IP }) + `
${OMR} config generate omr-relay --user '${TEST_USER}' --smarthost ${SIM_NAME}:${r.sim.port} --ca ${r.caFile} --lan 192.168.77.0/24 --listen 127.0.0.1:${port} --hostname gw.test.example --json > $D/gen.json || true
stat -c '%a %U' /etc/omr/password > $D/modes.txt
env -u OMR_PASSWORD ${OMR} relay start --config /etc/omr/relay.yaml > $D/relay.log 2>&1 &
for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && break; sleep 0.1; done
touch $D/ready
for i in $(seq 1 900); do [ -e $D/stop ] && break; sleep 0.1; done
`;
  let done = false;
  const ns = runInNamespace(script, { OMR_PASSWORD: NASTY_PASSWORD, NO_COLOR: '1' }, 150_000).then((x) => { done = true; return x; });
  t.after(async () => {
    writeFileSync(join(D, 'stop'), '');
    await ns;
    await r.close();
  });
  const log = () => { try { return readFileSync(join(D, 'relay.log'), 'utf8').slice(-3000); } catch { return '(no log)'; } };
  if (!(await waitForFile(join(D, 'ready'), 90_000, () => !done))) {
    const res = await ns;
    assert.fail(`namespace setup failed (${res.code}):\n${res.stderr.slice(-2000)}\n${traceTail(D)}\n${log()}`);
  }
  assert.equal(readFileSync(join(D, 'modes.txt'), 'utf8').trim(), '600 root');
  const tx = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  await tx.sendMail({ from: 'clerk@gw.test.example', to: 'customer@example.org', subject: 'relay rehearsal', text: 'hello through omr relay' }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${log()}`);
  });
  tx.close();
  const [msg] = await r.sim.waitForMessages(1, 60_000).catch((e) => { throw new Error(`${(e as Error).message}\n${log()}`); });
  assert.equal(msg!.user, TEST_USER);
  assert.ok(msg!.tls, 'arrived over TLS');
  assert.deepEqual(msg!.envelope.rcptTo, ['customer@example.org']);
});
