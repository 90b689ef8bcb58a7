// Issue 8 "done when": a resend of the same message within the window is delivered once (also
// across a relay restart); /metrics parses with a strict Prometheus text parser; SIGHUP-style
// reload changes client limits without dropping a session.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { parseRateList } from '../../src/core/rate.js';
import { startRelay } from '../../src/relay/relay.js';
import type { RelayOptions } from '../../src/relay/types.js';
import { openSession } from '../helpers/ops.js';
import { parsePrometheusText } from '../helpers/prom-parse.js';
import { relayOptions, sampleMessage, sendRaw, tempSpool, waitFor } from '../helpers/relay.js';
import { SIM_PASSWORD, SIM_USER, startTestSimulator } from '../helpers/simulator.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function httpGet(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('duplicate suppression, metrics and reload (relay -> simulator)', () => {
  it('delivers a resent message once, also after a restart, and exposes it all in /metrics', async () => {
    const sim = await startTestSimulator();
    const spool = await tempSpool();
    const opts: RelayOptions = relayOptions(spool.dir, { port: sim.port, ca: sim.caPem }, {
      user: SIM_USER, password: SIM_PASSWORD,
      ops: { clientRate: parseRateList('60/min'), clientRecipientRate: parseRateList('600/min'), dedupeWindow: 600_000, metrics: { host: '127.0.0.1', port: 0 } },
    });
    let relay = await startRelay(opts, silentLogger);
    try {
      const port = relay.addresses[0]!.port;
      const msg = sampleMessage(1);
      const first = await sendRaw(port, 'pc@office.example', ['a@example.net', 'b@example.net'], msg);
      assert.match(first, /^250 .*queued as/);
      const again = await sendRaw(port, 'pc@office.example', ['b@example.net', 'a@example.net'], msg);
      assert.match(again, /^250 .*already queued as [0-9A-Z]+; duplicate not sent again/);
      const changed = await sendRaw(port, 'pc@office.example', ['a@example.net', 'b@example.net'], msg.replace('Bye.', 'Bye!'));
      assert.doesNotMatch(changed, /already queued/);
      await waitFor(() => sim.stats().accepted === 2, 10_000, 'two distinct messages delivered');

      const mport = relay.ops.metricsAddress!.port;
      const m = await httpGet(mport, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.type, /text\/plain; version=0\.0\.4/);
      const fams = parsePrometheusText(m.body);
      const val = (name: string, labels: Record<string, string> = {}): number | undefined =>
        fams.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
      assert.equal(val('omr_relay_messages_received_total'), 2);
      assert.equal(val('omr_relay_duplicates_total'), 1);
      assert.equal(val('omr_relay_deliveries_total', { outcome: 'delivered' }), 2);
      assert.equal(val('omr_relay_upstream_replies_total', { code: '250' }), 2);
      assert.equal(val('omr_relay_client_messages_last_hour', { client: '127.0.0.1' }), 3);
      assert.equal(val('omr_relay_upstream_state', { state: 'ok' }), 1);
      assert.equal(val('omr_relay_queue_messages', { state: 'deferred' }), 0);
      const h = await httpGet(mport, '/healthz');
      assert.equal(h.status, 200);
      assert.equal(JSON.parse(h.body).status, 'ok');

      await relay.stop();
      relay = await startRelay(opts, silentLogger);
      const afterRestart = await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['a@example.net', 'b@example.net'], msg);
      assert.match(afterRestart, /already queued as/, 'the window survives a restart');
      await sleep(1500);
      assert.equal(sim.stats().accepted, 2, 'never delivered twice');
    } finally {
      await relay.stop();
      await sim.cleanup();
      await spool.cleanup();
    }
  });

  it('reload applies new client limits to an open session without dropping it', async () => {
    const sim = await startTestSimulator();
    const spool = await tempSpool();
    const opts: RelayOptions = relayOptions(spool.dir, { port: sim.port, ca: sim.caPem }, {
      user: SIM_USER, password: SIM_PASSWORD, ops: { clientRate: parseRateList('100/min'), clientRecipientRate: [], dedupeWindow: 0 },
    });
    const relay = await startRelay(opts, silentLogger);
    try {
      const s = await openSession(relay.addresses[0]!.port, '127.0.0.9');
      assert.equal(await s.cmd('MAIL FROM:<a@office.example>'), 250);
      assert.equal(await s.cmd('RSET'), 250);
      relay.reload({ ...opts, ops: { ...opts.ops!, clientRate: parseRateList('1/min') } });
      assert.equal(await s.cmd('MAIL FROM:<a@office.example>'), 451, 'the new, lower limit applies at once');
      relay.reload({ ...opts, allow: ['10.0.0.0/8'] });
      assert.equal(await s.cmd('NOOP'), 250, 'the session survived both reloads');
      s.close();
      const s2 = await openSession(relay.addresses[0]!.port, '127.0.0.9').catch((e: Error) => e);
      assert.ok(s2 instanceof Error, 'a new connection from outside the reloaded allowlist is refused');
    } finally {
      await relay.stop();
      await sim.cleanup();
      await spool.cleanup();
    }
  });
});
