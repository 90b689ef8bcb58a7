// The simulator against curl and Python's smtplib (Debian's /usr/bin/python3).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { SIM_PASSWORD, SIM_USER, needTool, runTool, spawnSimulateCli, type TestSimulator, withSimulator } from '../helpers/simulator.js';

const CURL = '/usr/bin/curl';
const PY = '/usr/bin/python3';
const MESSAGE = 'From: sender@example.test\r\nTo: rcpt@example.test\r\nSubject: curl\r\n\r\n.dot first\r\n..two\r\n.\r\nend\r\n';

function curl(sim: TestSimulator, url: string, file: string) {
  return runTool(CURL, ['--silent', '--show-error', '--max-time', '15', '--url', url, '--ssl-reqd', '--cacert', sim.caFile, '--user', `${SIM_USER}:${SIM_PASSWORD}`, '--mail-from', 'sender@example.test', '--mail-rcpt', 'rcpt@example.test', '--upload-file', file]);
}

// Runs inside /usr/bin/python3; prints one JSON line with what happened.
const PY_SEND = `
import json, smtplib, ssl, sys
port, ca, user, pw, path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP('127.0.0.1', int(port), timeout=10)
s.ehlo('py.example.test'); s.starttls(context=ctx); s.ehlo('py.example.test')
s.login(user, pw)
data = open(path, 'rb').read()
refused = s.sendmail('sender@example.test', ['rcpt@example.test'], data)
print(json.dumps({'refused': refused, 'cipher': s.sock.cipher()[0]}))
s.quit()
`;

const PY_SIX = `
import json, smtplib, ssl, sys, threading
port, ca, user, pw = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
results, conns, lock = [], [], threading.Lock()
barrier = threading.Barrier(6)
def one():
    s = smtplib.SMTP('127.0.0.1', int(port), timeout=10)
    s.ehlo(); s.starttls(context=ctx); s.ehlo()
    barrier.wait()
    # auth() with one mechanism: login() would move on to LOGIN after the 421 and then
    # report only the closed connection
    s.user, s.password = user, pw
    try:
        code, _ = s.auth('PLAIN', s.auth_plain)
    except smtplib.SMTPAuthenticationError as e:
        code = e.smtp_code
    except smtplib.SMTPServerDisconnected:
        code = 'disconnected'
    with lock:
        results.append(code); conns.append(s)
threads = [threading.Thread(target=one) for _ in range(6)]
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps(sorted(results, key=str)))
`;

describe('simulator with curl', () => {
  it('smtp:// with --ssl-reqd --cacert and --user: stored bytes equal the file', async (t) => {
    if (!needTool(t, CURL, 'curl')) return;
    await withSimulator({}, async (sim) => {
      const file = join(sim.dir, 'msg.eml');
      await writeFile(file, MESSAGE);
      const r = await curl(sim, `smtp://127.0.0.1:${sim.port}`, file);
      assert.equal(r.code, 0, r.stderr);
      const [m] = await sim.waitForMessages(1, 3000);
      assert.equal(m!.raw!.toString('latin1'), MESSAGE);
      assert.equal(m!.user, SIM_USER);
    });
  });

  it('smtps:// to the implicit-TLS port', async (t) => {
    if (!needTool(t, CURL, 'curl')) return;
    await withSimulator({ tlsPort: 0 }, async (sim) => {
      const file = join(sim.dir, 'msg.eml');
      await writeFile(file, MESSAGE);
      const r = await curl(sim, `smtps://localhost:${sim.tlsPort}`, file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await sim.waitForMessages(1, 3000))[0]!.raw!.toString('latin1'), MESSAGE);
    });
  });

  it('rejects the recipient matching --reject with 550 (curl fails)', async (t) => {
    if (!needTool(t, CURL, 'curl')) return;
    await withSimulator({ reject: 'rcpt@' }, async (sim) => {
      const file = join(sim.dir, 'msg.eml');
      await writeFile(file, MESSAGE);
      const r = await curl(sim, `smtp://127.0.0.1:${sim.port}`, file);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /550/);
      assert.equal(sim.stats().rejected.byReason['recipient-rejected'], 1);
    });
  });
});

describe('simulator with Python smtplib', () => {
  it('STARTTLS verified against the CA, login, byte-identical message', async (t) => {
    if (!needTool(t, PY, 'python3')) return;
    await withSimulator({}, async (sim) => {
      const file = join(sim.dir, 'msg.eml');
      await writeFile(file, MESSAGE);
      const r = await runTool(PY, ['-c', PY_SEND, String(sim.port), sim.caFile, SIM_USER, SIM_PASSWORD, file]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).refused, {});
      assert.equal((await sim.waitForMessages(1, 3000))[0]!.raw!.toString('latin1'), MESSAGE);
    });
  });

  it('six simultaneous sessions for one account: exactly one 421', async (t) => {
    if (!needTool(t, PY, 'python3')) return;
    await withSimulator({}, async (sim) => {
      const r = await runTool(PY, ['-c', PY_SIX, String(sim.port), sim.caFile, SIM_USER, SIM_PASSWORD]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [235, 235, 235, 235, 235, 421]);
      assert.equal(sim.stats().connections.peakPerAccount[SIM_USER], 5);
    });
  });
});

describe('omr simulate (CLI) with curl', () => {
  it('smtps:// on --tls-listen, --drop-mid-data, and the status endpoint read with curl', async (t) => {
    if (!needTool(t, CURL, 'curl')) return;
    const dir = await mkdtemp(join(tmpdir(), 'omr-sim-curl-'));
    const ca = join(dir, 'ca.pem');
    const file = join(dir, 'msg.eml');
    await writeFile(file, MESSAGE);
    const cli = await spawnSimulateCli(['--user', SIM_USER, '--ca-out', ca, '--tls-listen', '127.0.0.1:0', '--status', '127.0.0.1:0', '--drop-mid-data', '1', '--store', join(dir, 'store')], { OMR_PASSWORD: SIM_PASSWORD });
    try {
      const send = () => runTool(CURL, ['--silent', '--show-error', '--max-time', '15', '--url', `smtps://localhost:${cli.tlsPort}`, '--cacert', ca, '--user', `${SIM_USER}:${SIM_PASSWORD}`, '--mail-from', 'sender@example.test', '--mail-rcpt', 'rcpt@example.test', '--upload-file', file]);
      const dropped = await send();
      assert.notEqual(dropped.code, 0, 'the first message is cut mid-DATA');
      const ok = await send();
      assert.equal(ok.code, 0, ok.stderr);
      const status = await runTool(CURL, ['--silent', '--fail', `http://127.0.0.1:${cli.statusPort}/status`]);
      assert.equal(status.code, 0);
      const st = JSON.parse(status.stdout).stats;
      assert.equal(st.accepted, 1);
      assert.equal(st.faultsFired.dropMidData, 1);
      const msgs = JSON.parse((await runTool(CURL, ['--silent', `http://127.0.0.1:${cli.statusPort}/messages`])).stdout);
      const { readFile } = await import('node:fs/promises');
      assert.equal((await readFile(msgs[0].file, 'latin1')), MESSAGE);
    } finally {
      const out = await cli.stop();
      await rm(dir, { recursive: true, force: true });
      assert.equal(out.code, 0, out.stderr);
    }
  });
});

