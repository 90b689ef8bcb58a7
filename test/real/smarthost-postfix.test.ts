// Postfix from Debian with the configuration `omr config generate postfix` writes to the real
// system paths (inside a private mount namespace): merged into an existing main.cf, steps run
// (postmap, reload), then a message over SMTP reaches the simulator over TLS with AUTH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import {
  freePort, namespaceTools, OMR, prelude, requireOrSkip, runInNamespace, SIM_IP, SIM_NAME, startRehearsal, traceTail, unpackedRoots, waitForFile,
} from '../helpers/mta.js';
import { NASTY_PASSWORD, TEST_USER } from '../helpers/smarthost-answers.js';

test('postfix: generated config relays through the simulator with STARTTLS + AUTH', { timeout: 240_000 }, async (t) => {
  if (!requireOrSkip(t, namespaceTools() ?? '', namespaceTools() === undefined)) return;
  let roots: string[];
  try {
    roots = unpackedRoots(['postfix']);
  } catch (e) {
    if (!requireOrSkip(t, `postfix package (${(e as Error).message})`, false)) return;
    throw e;
  }
  const r = await startRehearsal();
  const smtpPort = await freePort();
  const D = r.dir;
  const gen = `${OMR} config generate postfix --user '${TEST_USER}' --smarthost ${SIM_NAME}:${r.sim.port} --ca ${r.caFile} --lan 192.168.77.0/24 --hostname gw.test.example --json`;
  const script = prelude(D, roots, { [SIM_NAME]: SIM_IP }) + `
ensure_group postdrop; ensure_group postfix; ensure_user postfix postfix /var/spool/postfix
mkdir -p /var/spool/postfix /var/lib/postfix /var/log; chown postfix:postfix /var/lib/postfix; rm -f /var/log/postfix.log
cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
# A Debian-like main.cf with settings the generator must supersede.
cat > /etc/postfix/main.cf <<'CF'
compatibility_level = 3.6
myhostname = placeholder.invalid
mydestination = localhost
alias_maps =
alias_database =
inet_interfaces = all
relayhost =
smtp_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks
    permit_sasl_authenticated defer_unauth_destination
maillog_file = /var/log/postfix.log
# test environment: resolve the simulator's name via /etc/hosts
smtp_host_lookup = native
CF
sed -i "s/^smtp      inet/127.0.0.1:${smtpPort} inet/" /etc/postfix/master.cf
postconf -F '*/*/chroot = n'
postfix start || { postfix check >&2 || true; cat /var/log/postfix.log >&2 || true; exit 1; }
${gen} > $D/gen1.json || true
${gen} > $D/gen2.json || true
postconf -n > $D/postconf.txt
stat -c '%a %U' /etc/postfix/sasl_passwd /etc/postfix/sasl_passwd.db > $D/modes.txt
ls /etc/postfix > $D/ls.txt
touch $D/ready
for i in $(seq 1 900); do [ -e $D/stop ] && break; sleep 0.1; done
postfix stop || true
cp /var/log/postfix.log $D/postfix.log || true
`;
  let done = false;
  const ns = runInNamespace(script, { OMR_PASSWORD: NASTY_PASSWORD, NO_COLOR: '1' }, 180_000).then((x) => { done = true; return x; });
  t.after(async () => {
    writeFileSync(join(D, 'stop'), '');
    await ns;
    await r.close();
  });
  const ready = await waitForFile(join(D, 'ready'), 120_000, () => !done);
  if (!ready) {
    const res = await ns;
    assert.fail(`namespace setup failed (${res.code}):\n${res.stderr.slice(-2000)}\n${traceTail(D)}`);
  }
  const gen1 = JSON.parse(readFileSync(join(D, 'gen1.json'), 'utf8'));
  const gen2 = JSON.parse(readFileSync(join(D, 'gen2.json'), 'utf8'));
  const ids = Object.fromEntries(gen1.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
  assert.equal(ids['step:postmap:hash:/etc/postfix/sasl_passwd'], 'pass', JSON.stringify(gen1.checks));
  assert.equal(ids['step:postfix:reload'], 'pass', JSON.stringify(gen1.checks));
  assert.equal(ids['mta:postfix'], 'pass', JSON.stringify(gen1.checks));
  assert.ok(gen1.data.files.find((f: { path: string }) => f.path === '/etc/postfix/main.cf').backup, 'main.cf was backed up');
  assert.ok(gen2.data.files.every((f: { changed: boolean }) => !f.changed), 'second run changed nothing (idempotent)');
  const postconf = readFileSync(join(D, 'postconf.txt'), 'utf8');
  assert.match(postconf, new RegExp(`relayhost = \\[${SIM_NAME}\\]:${r.sim.port}`));
  assert.match(postconf, /inet_interfaces = 127\.0\.0\.1\n/);
  assert.match(postconf, /smtp_connection_cache_on_demand = no/);
  assert.match(postconf, /smtp_tls_security_level = secure/);
  assert.ok(postconf.includes(`smtp_tls_CAfile = ${r.caFile}`));
  assert.match(readFileSync(join(D, 'modes.txt'), 'utf8'), /^600 root\n600 root\n$/);

  const tx = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
  await tx.sendMail({ from: 'clerk@gw.test.example', to: 'customer@example.org', subject: 'postfix rehearsal', text: 'hello through postfix' });
  tx.close();
  const [msg] = await r.sim.waitForMessages(1, 60_000).catch(async (e) => {
    writeFileSync(join(D, 'stop'), '');
    await ns;
    let log = '';
    try { log = readFileSync(join(D, 'postfix.log'), 'utf8'); } catch { /* none */ }
    throw new Error(`${(e as Error).message}\npostfix log:\n${log.slice(-3000)}`);
  });
  assert.equal(msg!.user, TEST_USER);
  assert.ok(msg!.tls, 'arrived over TLS');
  assert.deepEqual(msg!.envelope.rcptTo, ['customer@example.org']);
  assert.match(msg!.raw!.toString(), /hello through postfix/);
});
