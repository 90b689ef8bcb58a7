// Prometheus /metrics and /healthz on a loopback address (prom-client, a private registry).
// Label sets are bounded: outcomes and reasons come from fixed lists, reply codes are three
// digits, and per-client series are only the top talkers plus "other".
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { HostPort } from '../core/parse.js';
import type { ClientRow } from './client-stats.js';
import type { StatusData } from './status.js';

export const OUTCOMES = ['delivered', 'deferred', 'failed', 'throttled', 'paused', 'expired'] as const;
export const REJECT_REASONS = ['rate-messages', 'rate-recipients', 'not-allowed', 'size', 'smuggling', 'line-length', 'header-size', 'sessions', 'spool', 'other'] as const;
export const TOP_CLIENTS = 10;

export interface MetricsSources {
  status(): Promise<StatusData>;
  /** Clients of the last hour, busiest first. */
  clients(): ClientRow[];
}

function oneOf<T extends string>(v: string, list: readonly T[], fallback: T): T {
  return (list as readonly string[]).includes(v) ? (v as T) : fallback;
}

export class RelayMetrics {
  readonly registry = new Registry();
  private readonly deliveries: Counter<'outcome'>;
  private readonly replies: Counter<'code'>;
  private readonly received: Counter;
  private readonly rejects: Counter<'reason'>;
  private readonly duplicates: Counter;

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'omr_relay_' });
    this.deliveries = new Counter({ name: 'omr_relay_deliveries_total', help: 'Delivery attempts to the smarthost by outcome', labelNames: ['outcome'], registers });
    this.replies = new Counter({ name: 'omr_relay_upstream_replies_total', help: 'Smarthost replies by code (000 = no reply: connect, TLS or network error)', labelNames: ['code'], registers });
    this.received = new Counter({ name: 'omr_relay_messages_received_total', help: 'Messages accepted from LAN clients (250 after DATA)', registers });
    this.rejects = new Counter({ name: 'omr_relay_client_rejects_total', help: 'Client commands refused, by reason', labelNames: ['reason'], registers });
    this.duplicates = new Counter({ name: 'omr_relay_duplicates_total', help: 'Resent messages acknowledged but not delivered again', registers });
    for (const o of OUTCOMES) this.deliveries.inc({ outcome: o }, 0);
    this.gauges(registers);
  }

  private gauges(registers: Registry[]): void {
    const src = this.src;
    let last: Promise<StatusData> | undefined;
    // One status read per scrape, shared by the gauges below.
    const status = (): Promise<StatusData> => (last ??= src.status().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({ name: 'omr_relay_queue_messages', help: 'Messages in the spool by queue state', labelNames: ['state'], registers,
      async collect() {
        const s = await status();
        for (const [state, n] of Object.entries(s.queue)) if (state !== 'total') this.set({ state }, n);
      } });
    new Gauge({ name: 'omr_relay_oldest_message_age_seconds', help: 'Age of the oldest queued message (0 when the queue is empty)', registers,
      async collect() {
        this.set((await status()).oldest?.ageSeconds ?? 0);
      } });
    new Gauge({ name: 'omr_relay_upstream_state', help: 'Upstream state: 1 for the current one', labelNames: ['state'], registers,
      async collect() {
        const s = await status();
        for (const st of ['ok', 'backing-off', 'paused', 'stopped']) this.set({ state: st }, s.upstream.state === st ? 1 : 0);
      } });
    new Gauge({ name: 'omr_relay_upstream_connections', help: 'Upstream sessions: in use, open, and the limit', labelNames: ['kind'], registers,
      async collect() {
        const c = (await status()).concurrency;
        this.set({ kind: 'in_use' }, c?.inUse ?? 0);
        this.set({ kind: 'open' }, c?.connections ?? 0);
        this.set({ kind: 'limit' }, c?.limit ?? 0);
      } });
    new Gauge({ name: 'omr_relay_quota_used', help: 'Messages sent upstream in the quota window', labelNames: ['window'], registers,
      async collect() {
        const q = (await status()).quota;
        this.set({ window: 'hour' }, q?.hour.used ?? 0);
        this.set({ window: 'month' }, q?.month.used ?? 0);
      } });
    new Gauge({ name: 'omr_relay_client_messages_last_hour', help: `Messages per LAN client in the last hour: the top ${TOP_CLIENTS} talkers, the rest summed as "other"`, labelNames: ['client'], registers,
      collect() {
        this.reset();
        const rows = src.clients();
        rows.slice(0, TOP_CLIENTS).forEach((r) => this.set({ client: r.client }, r.messages));
        const rest = rows.slice(TOP_CLIENTS).reduce((n, r) => n + r.messages, 0);
        if (rows.length > TOP_CLIENTS) this.set({ client: 'other' }, rest);
      } });
  }

  delivery(outcome: string, replyCode: number | undefined): void {
    this.deliveries.inc({ outcome: oneOf(outcome, OUTCOMES, 'deferred') });
    const code = replyCode && replyCode >= 200 && replyCode < 600 ? String(replyCode) : '000';
    this.replies.inc({ code });
  }

  messageReceived(): void {
    this.received.inc();
  }

  reject(reason: string): void {
    this.rejects.inc({ reason: oneOf(reason, REJECT_REASONS, 'other') });
  }

  duplicate(): void {
    this.duplicates.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The metrics endpoint must not be reachable from the LAN: loopback addresses only. */
export function assertLoopback(at: HostPort): void {
  const host = at.host === 'localhost' ? '127.0.0.1' : at.host.replace(/^\[|\]$/g, '');
  let ok = false;
  try {
    ok = ipaddr.process(host).range() === 'loopback';
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`--metrics ${at.host}:${at.port}: the metrics endpoint listens on loopback only (127.0.0.1 or ::1)`);
}

export interface MetricsServer {
  address: HostPort;
  close(): Promise<void>;
}

export async function startMetricsServer(at: HostPort, metrics: RelayMetrics, health: () => Promise<StatusData>): Promise<MetricsServer> {
  assertLoopback(at);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const send = (code: number, type: string, body: string): void => void res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    if (path === '/metrics') {
      metrics.text().then((t) => send(200, metrics.registry.contentType, t), (e: Error) => send(500, 'text/plain', `metrics failed: ${e.message}\n`));
    } else if (path === '/healthz') {
      health().then(
        (s) => send(200, 'application/json', JSON.stringify({ status: s.upstream.state === 'paused' ? 'degraded' : 'ok', upstream: s.upstream, queue: s.queue }) + '\n'),
        (e: Error) => send(500, 'application/json', JSON.stringify({ status: 'error', error: e.message }) + '\n'),
      );
    } else send(404, 'text/plain', 'not found: try /metrics or /healthz\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host === 'localhost' ? '127.0.0.1' : at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: { host: a.address, port: a.port },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
