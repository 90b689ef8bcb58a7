// The operations features through the real CLI: SIGHUP reload of `omr relay start` from its
// config file without dropping a session, `relay status` naming a paused queue, and
// `install-service --dry-run` writing nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { startRelay } from '../../src/relay/relay.js';
import { OMR_BIN, parseEnvelope, runCli } from '../helpers/cli.js';
import { deadPort, openSession } from '../helpers/ops.js';
import { relayOptions, sampleMessage, sendRaw, startSink, tempSpool, waitFor } from '../helpers/relay.js';
import { SIM_USER, startTestSimulator } from '../helpers/simulator.js';

describe('relay operations through the CLI', () => {
  it('SIGHUP reloads client limits from the config file; the open session stays up', async () => {
    const spool = await tempSpool();
    const conf = join(spool.dir, 'relay.yaml');
    const base = `listen: 127.0.0.1:0\nsmarthost: 127.0.0.1:${await deadPort()}\ntls: none\nspool: ${join(spool.dir, 'q')}\nhostname: relay.test\n`;
    writeFileSync(conf, base + 'client-rate: 100/min\n');
    const child = spawn(process.execPath, [OMR_BIN, 'relay', 'start', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.test(err), 15_000, 'relay listening');
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
      const s = await openSession(port, '127.0.0.11');
      assert.equal(await s.cmd('MAIL FROM:<a@office.example>'), 250);
      assert.equal(await s.cmd('RSET'), 250);
      writeFileSync(conf, base + 'client-rate: 1/min\n');
      child.kill('SIGHUP');
      await waitFor(() => err.includes('operations settings reloaded'), 10_000, 'reload logged');
      assert.equal(await s.cmd('MAIL FROM:<a@office.example>'), 451);
      assert.equal(await s.cmd('NOOP'), 250);
      s.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
      await spool.cleanup();
    }
  });

  it('relay status reports an account refused upstream as paused (exit 1), with the reply', async () => {
    const sim = await startTestSimulator();
    const spool = await tempSpool();
    const relay = await startRelay(relayOptions(spool.dir, { port: sim.port, ca: sim.caPem }, { user: SIM_USER, password: 'wrong-password' }), silentLogger);
    try {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['x@example.net'], sampleMessage(1));
      await waitFor(() => relay.scheduler.status().state === 'paused', 10_000, 'queue paused');
      const r = await runCli(['relay', 'status', '--json', '--spool', spool.dir]);
      assert.equal(r.code, 1);
      const env = parseEnvelope(r);
      assert.equal(env.data.upstream.state, 'paused');
      assert.match(env.data.upstream.reason, /535/);
      assert.ok(env.data.upstream.until);
      const check = env.checks.find((c: { id: string }) => c.id === 'upstream');
      assert.equal(check.status, 'fail');
      assert.match(check.hint, /no mail is bounced/);
      assert.equal(env.data.queue.total, 1);
      const human = await runCli(['relay', 'status', '--spool', spool.dir]);
      assert.match(human.stdout, /upstream: {4}paused/);
    } finally {
      await relay.stop();
      await sim.cleanup();
      await spool.cleanup();
    }
  });

  it('an "account suspended" reply pauses the queue without a bounce, and status says why', async () => {
    const sink = await startSink({ user: 'office', password: 'S3cret-pw!', hooks: { data: () => ({ code: 554, text: '5.7.1 Account suspended for abuse, contact support' }) } });
    const spool = await tempSpool();
    const relay = await startRelay(relayOptions(spool.dir, sink), silentLogger);
    try {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['x@example.net'], sampleMessage(2));
      await waitFor(() => relay.scheduler.status().state === 'paused', 10_000, 'queue paused');
      const env = parseEnvelope(await runCli(['relay', 'status', '--json', '--spool', spool.dir]));
      assert.equal(env.data.upstream.state, 'paused');
      assert.match(env.data.upstream.reason, /suspended/);
      assert.equal(env.data.queue.total, 1, 'the message waits; no DSN was queued');
      assert.equal(sink.messages.length, 0);
    } finally {
      await relay.stop();
      await sink.close();
      await spool.cleanup();
    }
  });

  it('install-service --dry-run prints the unit and writes nothing', async () => {
    const spool = await tempSpool();
    try {
      const out = join(spool.dir, 'root');
      const r = await runCli(['relay', 'install-service', '--dry-run', '--out', out, '--service-user', 'mailrelay', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const env = parseEnvelope(r);
      assert.equal(env.data.dryRun, true);
      assert.match(env.data.unit, /^User=mailrelay$/m);
      assert.equal(existsSync(out), false);
      const bad = await runCli(['relay', 'install-service', '--dry-run', '--service-user', 'Bad User']);
      assert.equal(bad.code, 2);
    } finally {
      await spool.cleanup();
    }
  });
});
