import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { assertLoopback, RelayMetrics, startMetricsServer, TOP_CLIENTS } from '../../src/ops/metrics.js';
import type { ClientRow } from '../../src/ops/client-stats.js';
import type { StatusData } from '../../src/ops/status.js';
import { parsePrometheusText } from '../helpers/prom-parse.js';

const status: StatusData = {
  running: true, pid: 1, source: 'relay', spool: '/x',
  queue: { incoming: 1, active: 2, deferred: 3, hold: 4, corrupt: 0, total: 10 },
  oldest: { id: 'A', state: 'deferred', createdAt: new Date(0).toISOString(), ageSeconds: 42 },
  upstream: { state: 'backing-off', reason: '421 busy', until: null },
  concurrency: { inUse: 2, connections: 3, limit: 5 },
  quota: { hour: { used: 7, limit: 10, resetsAt: null }, month: { used: 70, limit: null, period: '2026-11', resetsAt: new Date(0).toISOString() }, blockedUntil: null, reason: null },
};
const row = (client: string, messages: number): ClientRow => ({ client, messages, sessions: 1, recipients: messages, domains: 1, senders: 1, bytes: 1, rejects: 0, lastSeen: '' });

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('Prometheus text parser (test helper)', () => {
  it('rejects malformed expositions', () => {
    assert.throws(() => parsePrometheusText('a 1'), /newline/);
    assert.throws(() => parsePrometheusText('a{b="c} 1\n'), /unterminated/);
    assert.throws(() => parsePrometheusText('a 1\nb 1\na 2\n'), /not contiguous|duplicate/);
    assert.throws(() => parsePrometheusText('a{x="1"} 1\na{x="1"} 2\n'), /duplicate series/);
    assert.throws(() => parsePrometheusText('a one\n'), /bad value/);
    assert.throws(() => parsePrometheusText('a{x="\\q"} 1\n'), /bad escape/);
    assert.throws(() => parsePrometheusText('a 1\n# TYPE a gauge\n'), /after its samples/);
    const f = parsePrometheusText('# HELP a_total x\n# TYPE a_total counter\na_total{k="v\\"w"} 3 1700000000000\n');
    assert.equal(f.get('a_total')!.samples[0]!.labels.k, 'v"w');
  });
});

describe('RelayMetrics', () => {
  it('exposes queue, upstream, quota, deliveries and bounded top talkers in valid text format', async () => {
    const clients = Array.from({ length: 25 }, (_, i) => row(`10.0.0.${i}`, 100 - i));
    const m = new RelayMetrics({ status: async () => status, clients: () => clients });
    m.delivery('delivered', 250);
    m.delivery('deferred', 421);
    m.delivery('deferred', undefined);
    m.delivery('weird-outcome', 999);
    m.reject('rate-messages');
    m.reject('not-a-reason');
    m.duplicate();
    m.messageReceived();
    const fams = parsePrometheusText(await m.text());
    const val = (name: string, labels: Record<string, string> = {}): number | undefined =>
      fams.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(val('omr_relay_queue_messages', { state: 'hold' }), 4);
    assert.equal(val('omr_relay_queue_messages', { state: 'deferred' }), 3);
    assert.equal(val('omr_relay_oldest_message_age_seconds'), 42);
    assert.equal(val('omr_relay_upstream_state', { state: 'backing-off' }), 1);
    assert.equal(val('omr_relay_upstream_state', { state: 'ok' }), 0);
    assert.equal(val('omr_relay_upstream_connections', { kind: 'limit' }), 5);
    assert.equal(val('omr_relay_quota_used', { window: 'hour' }), 7);
    assert.equal(fams.get('omr_relay_deliveries_total')!.type, 'counter');
    assert.equal(val('omr_relay_deliveries_total', { outcome: 'deferred' }), 3, 'unknown outcomes fold into deferred');
    assert.equal(val('omr_relay_upstream_replies_total', { code: '000' }), 2, 'no reply and junk codes fold into 000');
    assert.equal(val('omr_relay_client_rejects_total', { reason: 'other' }), 1);
    const top = fams.get('omr_relay_client_messages_last_hour')!.samples;
    assert.equal(top.length, TOP_CLIENTS + 1);
    assert.equal(top.find((s) => s.labels.client === '10.0.0.0')!.value, 100);
    assert.equal(top.find((s) => s.labels.client === 'other')!.value, clients.slice(TOP_CLIENTS).reduce((n, r) => n + r.messages, 0));
    assert.ok(fams.has('omr_relay_process_cpu_user_seconds_total'), 'default process metrics present');
  });

  it('serves /metrics and /healthz on loopback only', async () => {
    assert.throws(() => assertLoopback({ host: '0.0.0.0', port: 9000 }), /loopback only/);
    assert.throws(() => assertLoopback({ host: '192.168.1.2', port: 9000 }), /loopback only/);
    assertLoopback({ host: '::1', port: 1 });
    assertLoopback({ host: 'localhost', port: 1 });
    const m = new RelayMetrics({ status: async () => status, clients: () => [] });
    const srv = await startMetricsServer({ host: '127.0.0.1', port: 0 }, m, async () => status);
    try {
      const r = await get(srv.address.port, '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.type, /^text\/plain; version=0\.0\.4/);
      parsePrometheusText(r.body);
      const h = await get(srv.address.port, '/healthz');
      assert.equal(h.status, 200);
      assert.equal(JSON.parse(h.body).status, 'ok');
      assert.equal((await get(srv.address.port, '/nope')).status, 404);
      assert.equal((await get(srv.address.port, '/metrics', 'POST')).status, 405);
    } finally {
      await srv.close();
    }
  });
});
