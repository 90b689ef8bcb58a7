// Debian exim4 (daemon-light) with the files `omr config generate exim4` writes (inside a private
// mount namespace): update-exim4.conf is run by the command, then a message submitted with
// exim4 -odi reaches the simulator over STARTTLS with AUTH, and exim4 -bh shows the relay is
// closed to an address outside --lan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespaceTools, OMR, prelude, requireOrSkip, runInNamespace, SIM_IP, SIM_NAME, startRehearsal, traceTail, unpackedRoots } from '../helpers/mta.js';
import { NASTY_PASSWORD, TEST_USER } from '../helpers/smarthost-answers.js';

for (const split of [false, true]) {
test(`exim4 (${split ? 'split' : 'unsplit'} config): relays through the simulator with STARTTLS + AUTH; relay closed outside the LAN`, { timeout: 240_000 }, async (t) => {
  const missing = namespaceTools();
  if (!requireOrSkip(t, missing ?? '', missing === undefined)) return;
  let roots: string[];
  try {
    roots = unpackedRoots(['exim4-base', 'exim4-config', 'exim4-daemon-light']);
  } catch (e) {
    if (!requireOrSkip(t, `exim4 packages (${(e as Error).message})`, false)) return;
    throw e;
  }
  const r = await startRehearsal();
  t.after(() => r.close());
  const D = r.dir;
  const smtp = (ip: string) =>
    `printf 'EHLO pc.test\\r\\nMAIL FROM:<clerk@gw.test.example>\\r\\nRCPT TO:<customer@example.org>\\r\\nQUIT\\r\\n' | exim4 -bh ${ip} > $D/bh-${ip}.txt 2>&1 || true`;
  const script = prelude(D, roots, { [SIM_NAME]: SIM_IP }) + `
ensure_group Debian-exim; ensure_user Debian-exim Debian-exim /var/spool/exim4
mkdir -p /var/spool/exim4 /var/log/exim4 /var/lib/exim4
chown Debian-exim:Debian-exim /var/spool/exim4 /var/log/exim4
echo gw.test.example > /etc/mailname
# What dpkg-reconfigure left for a local-only install; the generator supersedes it.
cat > /etc/exim4/update-exim4.conf.conf <<'CF'
dc_eximconfig_configtype='local'
dc_other_hostnames='gw.test.example'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_relay_nets=''
dc_smarthost=''
dc_use_split_config='${split}'
CF
${OMR} config generate exim4 --user '${TEST_USER}' --smarthost ${SIM_NAME}:${r.sim.port} --ca ${r.caFile} --lan 192.168.77.0/24 --hostname gw.test.example${split ? ' --exim-split' : ''} --json > $D/gen.json || true
stat -c '%a %U:%G' /etc/exim4/passwd.client > $D/modes.txt
exim4 -bP transport remote_smtp_smarthost > $D/transport.txt 2>&1 || true
${smtp('192.168.77.5')}
${smtp('203.0.113.9')}
printf 'Subject: exim rehearsal\\n\\nhello through exim\\n' | exim4 -odi -f clerk@gw.test.example customer@example.org || true
cp /var/log/exim4/mainlog $D/mainlog 2>/dev/null || true
`;
  const res = await runInNamespace(script, { OMR_PASSWORD: NASTY_PASSWORD, NO_COLOR: '1' }, 180_000);
  const log = () => { try { return readFileSync(join(D, 'mainlog'), 'utf8').slice(-2500); } catch { return '(no mainlog)'; } };
  assert.equal(res.code, 0, `namespace script failed:\n${res.stderr.slice(-2000)}\n${traceTail(D)}`);
  const gen = JSON.parse(readFileSync(join(D, 'gen.json'), 'utf8'));
  const ids = Object.fromEntries(gen.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
  assert.equal(ids['step:update-exim4.conf'], 'pass', JSON.stringify(gen.checks));
  assert.equal(ids['mta:exim4'], 'pass', JSON.stringify(gen.checks));
  assert.equal(readFileSync(join(D, 'modes.txt'), 'utf8').trim(), '640 root:Debian-exim');
  // The macros reached the transport: TLS required and verified against the given CA.
  const transport = readFileSync(join(D, 'transport.txt'), 'utf8');
  assert.match(transport, /hosts_require_tls = \*/);
  assert.match(transport, /tls_verify_hosts = \*/);
  assert.ok(transport.includes(`tls_verify_certificates = ${r.caFile}`), transport);
  assert.match(readFileSync(join(D, 'bh-192.168.77.5.txt'), 'utf8'), /250 Accepted/);
  assert.match(readFileSync(join(D, 'bh-203.0.113.9.txt'), 'utf8'), /550 relay not permitted/);
  const [msg] = await r.sim.waitForMessages(1, 30_000).catch((e) => { throw new Error(`${(e as Error).message}\nexim mainlog:\n${log()}`); });
  assert.equal(msg!.user, TEST_USER);
  assert.ok(msg!.tls, 'arrived over TLS');
  assert.deepEqual(msg!.envelope.rcptTo, ['customer@example.org']);
});
}
