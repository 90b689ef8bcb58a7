// The simulator against swaks, a client nobody here wrote: verified STARTTLS, AUTH, limits.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SIM_PASSWORD, SIM_USER, needTool, runTool, startTestSimulator, type TestSimulator, withSimulator } from '../helpers/simulator.js';

const SWAKS = '/usr/bin/swaks';

function swaks(sim: TestSimulator, extra: string[] = [], caFile = sim.caFile) {
  const args = ['--server', `127.0.0.1:${sim.port}`, '--tls', '--tls-verify', '--tls-ca-path', caFile, '--auth', 'PLAIN', '--auth-user', SIM_USER, '--auth-password', SIM_PASSWORD, '--from', 'sender@example.test', '--to', 'rcpt@example.test', '--helo', 'client.example.test', '--timeout', '10', ...extra];
  return runTool(SWAKS, args);
}

describe('simulator with swaks', () => {
  it('accepts a message over verified STARTTLS with AUTH PLAIN and LOGIN', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    await withSimulator({}, async (sim) => {
      const r = await swaks(sim);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /<~ {2}250 2\.0\.0 Ok: queued as/);
      const login = await swaks(sim, ['--auth', 'LOGIN']);
      assert.equal(login.code, 0, login.stdout);
      const msgs = await sim.waitForMessages(2, 3000);
      assert.deepEqual(msgs[0]!.envelope, { mailFrom: 'sender@example.test', rcptTo: ['rcpt@example.test'] });
      assert.equal(msgs[0]!.user, SIM_USER);
      assert.ok(msgs[0]!.tls, 'the message arrived over TLS');
    });
  });

  it('stores the exact DATA bytes, dot-unstuffed', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    await withSimulator({}, async (sim) => {
      const message = 'From: sender@example.test\r\nTo: rcpt@example.test\r\nSubject: dots\r\n\r\n.one dot\r\n..two dots\r\n.\r\ntrailing space \r\n\ttab\r\nlast line\r\n';
      const file = join(sim.dir, 'msg.eml');
      // swaks ends DATA with CRLF . CRLF after the file's last byte, so the file has no final
      // CRLF; the message on the wire (and in the store) is exactly `message`
      await writeFile(file, message.slice(0, -2));
      const r = await swaks(sim, ['--data', file]);
      assert.equal(r.code, 0, r.stdout);
      const [m] = await sim.waitForMessages(1, 3000);
      assert.equal(m!.raw!.toString('latin1'), message);
    });
  });

  it('fails verification against a CA that did not sign the certificate', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    const other = await startTestSimulator({ hostname: 'other-ca.simulator.test' });
    try {
      await withSimulator({}, async (sim) => {
        assert.notEqual(other.caPem, sim.caPem);
        const r = await swaks(sim, [], other.caFile);
        assert.notEqual(r.code, 0);
        assert.equal(sim.messages().length, 0);
        assert.equal(sim.stats().sessions, 0, 'no AUTH may happen over an unverified channel');
      });
    } finally {
      await other.cleanup();
    }
  });

  it('answers AUTH without STARTTLS with 538', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    await withSimulator({}, async (sim) => {
      const r = await runTool(SWAKS, ['--server', `127.0.0.1:${sim.port}`, '--auth', 'PLAIN', '--auth-user', SIM_USER, '--auth-password', SIM_PASSWORD, '--to', 'rcpt@example.test', '--timeout', '10']);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /538/);
    });
  });

  it('refuses a wrong password with 535', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    await withSimulator({}, async (sim) => {
      const r = await runTool(SWAKS, ['--server', `127.0.0.1:${sim.port}`, '--tls', '--tls-verify', '--tls-ca-path', sim.caFile, '--auth', 'PLAIN', '--auth-user', SIM_USER, '--auth-password', 'wrong', '--to', 'rcpt@example.test', '--timeout', '10']);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout, /<~\* 535 5\.7\.8/);
    });
  });

  it('holds the hourly quota: the third message gets 421 4.7.0 at MAIL', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    await withSimulator({ quotaHour: 2 }, async (sim) => {
      assert.equal((await swaks(sim)).code, 0);
      assert.equal((await swaks(sim)).code, 0);
      const third = await swaks(sim);
      assert.notEqual(third.code, 0);
      assert.match(third.stdout, /<~\* 421 4\.7\.0 Hourly message quota exceeded/);
      assert.equal(sim.stats().accepted, 2);
    });
  });

  it('advertises SIZE and refuses a larger message with 552', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    await withSimulator({ maxMessageSize: 2000 }, async (sim) => {
      const small = await swaks(sim, ['--body', 'small']);
      assert.equal(small.code, 0);
      assert.match(small.stdout, /250-SIZE 2000|250 SIZE 2000/);
      const big = await swaks(sim, ['--body', 'x'.repeat(70) + '\n' + ('y'.repeat(70) + '\n').repeat(40)]);
      assert.notEqual(big.code, 0);
      assert.match(big.stdout, /<~\* 552 5\.3\.4/);
      assert.equal(sim.stats().accepted, 1);
    });
  });

  it('swaks through the omr simulate CLI, counters in the JSON envelope', async (t) => {
    if (!needTool(t, SWAKS, 'swaks')) return;
    const { spawnSimulateCli } = await import('../helpers/simulator.js');
    const tmp = await startTestSimulator(); // only for its temp dir
    await tmp.close();
    const ca = join(tmp.dir, 'cli-ca.pem');
    const cli = await spawnSimulateCli(['--user', SIM_USER, '--ca-out', ca, '--store', join(tmp.dir, 'store')], { OMR_PASSWORD: SIM_PASSWORD });
    try {
      const r = await runTool(SWAKS, ['--server', `127.0.0.1:${cli.port}`, '--tls', '--tls-verify', '--tls-ca-path', ca, '--auth', 'PLAIN', '--auth-user', SIM_USER, '--auth-password', SIM_PASSWORD, '--to', 'rcpt@example.test', '--timeout', '10']);
      assert.equal(r.code, 0, r.stdout);
    } finally {
      const out = await cli.stop();
      await tmp.cleanup();
      assert.equal(out.code, 0, out.stderr);
      const env = JSON.parse(out.stdout);
      assert.equal(env.command, 'simulate');
      assert.equal(env.data.stats.accepted, 1);
      assert.equal(env.data.stoppedBy, 'signal');
      assert.doesNotMatch(out.stderr + out.stdout, new RegExp(SIM_PASSWORD.replace(/[!]/g, '\\!')), 'the password never appears in output');
    }
  });
});
