// Issue 8 "done when": a quota of N per hour is never exceeded upstream (the simulator's counter
// proves it) and the rest is delivered after the window; an upstream quota 421 makes the relay
// wait for the window instead of hammering. Time is a shared fake clock (relay meter + simulator).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { startRelay } from '../../src/relay/relay.js';
import { parseEnvelope, runCli } from '../helpers/cli.js';
import { relayOptions, sampleMessage, sendRaw, tempSpool, waitFor } from '../helpers/relay.js';
import { SIM_PASSWORD, SIM_USER, startTestSimulator } from '../helpers/simulator.js';

const N = 7;
const EXTRA = 5;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setup(relayQuota: number | undefined) {
  const clock = { now: Date.UTC(2026, 10, 30, 10, 0, 0) };
  const sim = await startTestSimulator({ quotaHour: N, clock: () => clock.now });
  const spool = await tempSpool();
  const relay = await startRelay(
    relayOptions(spool.dir, { port: sim.port, ca: sim.caPem }, {
      user: SIM_USER, password: SIM_PASSWORD, retryBaseMs: 200, retryMaxMs: 500,
      ops: { clientRate: [], clientRecipientRate: [], dedupeWindow: 0, quotaHour: relayQuota, clock: () => clock.now },
    }),
    silentLogger,
  );
  const cleanup = async (): Promise<void> => {
    await relay.stop();
    await sim.cleanup();
    await spool.cleanup();
  };
  return { clock, sim, spool, relay, cleanup };
}

describe('quota', () => {
  it(`--quota-hour ${N}: never more than ${N} upstream in the hour, the rest after the window`, async () => {
    const t = await setup(N);
    try {
      for (let i = 0; i < N + EXTRA; i++) await sendRaw(t.relay.addresses[0]!.port, 'pc@office.example', ['someone@example.net'], sampleMessage(i));
      await waitFor(() => t.sim.stats().accepted === N, 15_000, `${N} delivered`);
      await sleep(2500); // several scheduler ticks: nothing more may go out
      assert.equal(t.sim.stats().accepted, N, 'held back at the quota');
      assert.equal(t.sim.stats().rejected.byReason['quota-hour'] ?? 0, 0, 'the smarthost never had to say 421');
      const st = parseEnvelope(await runCli(['relay', 'status', '--json', '--spool', t.spool.dir]));
      assert.equal(st.data.quota.hour.used, N);
      assert.equal(st.data.quota.hour.limit, N);
      assert.equal(st.data.upstream.state, 'paused');
      assert.match(st.data.upstream.reason, /hourly quota of 7 reached/);
      assert.equal(st.data.quota.blockedUntil, new Date(t.clock.now + 3_600_000).toISOString(), 'status says when sending resumes');
      assert.equal(st.data.queue.total, EXTRA, 'the rest waits in the queue');
      t.clock.now += 3_600_000 + 1000;
      await waitFor(() => t.sim.stats().accepted === N + EXTRA, 15_000, 'the rest delivered after the window');
      assert.equal(t.sim.stats().rejected.byReason['quota-hour'] ?? 0, 0);
      await waitFor(async () => (await t.relay.spool.counts()).active === 0, 5000, 'queue empty');
    } finally {
      await t.cleanup();
    }
  });

  it('an upstream quota 421 makes the relay wait for the window reset instead of retrying', async () => {
    const t = await setup(undefined);
    try {
      for (let i = 0; i < N + EXTRA; i++) await sendRaw(t.relay.addresses[0]!.port, 'pc@office.example', ['someone@example.net'], sampleMessage(i));
      await waitFor(() => (t.sim.stats().rejected.byReason['quota-hour'] ?? 0) > 0, 15_000, 'the first quota 421');
      await sleep(3000); // with retries every 200-500 ms, a naive relay would hit 421 a dozen more times
      const hits = t.sim.stats().rejected.byReason['quota-hour'] ?? 0;
      assert.ok(hits <= 5, `at most one 421 per open connection, got ${hits}`);
      assert.equal(t.sim.stats().accepted, N);
      const st = parseEnvelope(await runCli(['relay', 'status', '--json', '--spool', t.spool.dir]));
      assert.equal(st.data.upstream.state, 'paused');
      assert.match(st.data.upstream.reason, /smarthost hourly quota: 421 4\.7\.0 Hourly message quota exceeded/);
      t.clock.now += 3_600_000 + 1000;
      await waitFor(() => t.sim.stats().accepted === N + EXTRA, 20_000, 'the rest delivered after the reset');
    } finally {
      await t.cleanup();
    }
  });
});
