// The relay against our own OMR simulator (5 sessions per account, STARTTLS with its own CA).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import nodemailer from 'nodemailer';
import { startSimulator } from '../../src/simulator/index.js';
import { relayOptions, sampleMessage, sendRaw, stripReceived, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

test('nodemailer -> relay -> omr simulator: identical bodies, <= 5 sessions, 421s absorbed', async () => {
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, accounts: [{ user: 'office', password: 'S3cret-pw!' }], maxConnections: 5, faults: [{ kind: 'greeting421', count: 2 }, { kind: 'mail421', count: 1 }] });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, { port: sim.port, ca: sim.caPem }, { sessionsPerClient: 50 }), async (relay) => {
      const port = relay.addresses[0]!.port;
      const bodies = new Map<string, string>();
      await Promise.all(Array.from({ length: 40 }, (_, i) => {
        const b = sampleMessage(i, 'ä'.repeat(i));
        bodies.set(`u${i}@example.net`, b);
        return sendRaw(port, 'pc@office.example', [`u${i}@example.net`], b);
      }));
      const got = await sim.waitForMessages(40, 30_000);
      for (const m of got) {
        const want = Buffer.from(bodies.get(m.envelope.rcptTo[0]!)!, 'utf8');
        assert.deepEqual(stripReceived(m.raw!), want);
        assert.ok(m.tls, 'over TLS');
        assert.equal(m.user, 'office');
      }
      await waitFor(() => relay.scheduler.counts().active === 0, 5000);
      const st = sim.stats();
      assert.ok(st.connections.peak <= 5, `simulator saw at most 5 connections (peak ${st.connections.peak})`);
      assert.equal(st.accepted, 40, 'each message accepted once');
      assert.ok((st.rejected.byReason && Object.keys(st.faultsFired).length) > 0, 'faults fired');
    });
  } finally {
    await sim.close();
    await spool.cleanup();
  }
});

test("OMR's 421 at AUTH (account's connections all in use elsewhere) backs off and retries; it does not pause the queue", async () => {
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, accounts: [{ user: 'office', password: 'S3cret-pw!' }], maxConnections: 2 });
  const spool = await tempSpool();
  // Another device on the same account holds both of its sessions open.
  const other = nodemailer.createTransport({ pool: true, maxConnections: 2, host: '127.0.0.1', port: sim.port, auth: { user: 'office', pass: 'S3cret-pw!' }, tls: { ca: sim.caPem }, logger: false } as never);
  try {
    await Promise.all([0, 1].map((i) => other.sendMail({ envelope: { from: 'x@office.example', to: [`o${i}@example.net`] }, raw: sampleMessage(100 + i) } as never)));
    // A paused queue would sit out the whole authPauseMs (60 s); a throttled one retries in about a second.
    await withRelay(relayOptions(spool.dir, { port: sim.port, ca: sim.caPem }, { retryBaseMs: 500, retryMaxMs: 1000, authPauseMs: 60_000 }), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['late@example.net'], sampleMessage(1));
      await waitFor(() => (sim.stats().rejected.byReason['connection-limit'] ?? 0) >= 1, 10_000, 'the relay got a 421 at AUTH');
      assert.notEqual(relay.scheduler.status().state, 'paused', 'not paused');
      other.close();
      await sim.waitForMessages(3, 20_000);
      assert.ok(sim.messages().some((m) => m.envelope.rcptTo[0] === 'late@example.net'));
    });
  } finally {
    other.close();
    await sim.close();
    await spool.cleanup();
  }
});
