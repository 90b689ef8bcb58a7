// The relay's operations layer in one object: client accounting and event log, rate limits and
// spike alarm, quota meter, duplicate suppression, status/control socket and metrics. The relay
// calls the hooks below from its receiver and scheduler; everything else stays in src/ops.
import type { Logger } from '../core/logger.js';
import type { HostPort } from '../core/parse.js';
import type { RateLimit } from '../core/rate.js';
import { formatRateList } from '../core/rate.js';
import { BodyTap, type TapResult } from './body-tap.js';
import { ClientStats, clientsFile, HOUR } from './client-stats.js';
import { startControlServer, type ControlServer } from './control.js';
import { DedupeIndex, dedupeFile, dedupeKey } from './dedupe.js';
import { EventLog, type OpsEventInput } from './events.js';
import { systemClock, type Clock } from './files.js';
import { RelayMetrics, startMetricsServer, type MetricsServer } from './metrics.js';
import { QuotaMeter, quotaFile, quotaReply, type QuotaDecision } from './quota.js';
import { ClientRateLimiter, SpikeDetector, type RateDecision } from './rate-limit.js';
import { readQueue, type StatusData, type UpstreamInfo } from './status.js';
import type { RejectReason } from './labels.js';

export interface OpsSettings {
  clientRate: RateLimit[];
  clientRecipientRate: RateLimit[];
  quotaHour?: number;
  quotaMonth?: number;
  /** 0 turns duplicate suppression off. */
  dedupeWindow: number;
}

export interface OpsOptions extends OpsSettings {
  spool: string;
  maxConnections: number;
  metrics?: HostPort;
  clock?: Clock;
  /** Client counter bucket width (tests shorten it). */
  statsBucketMs?: number;
}

/** What the scheduler reports about the upstream side. */
export interface UpstreamProbe {
  state: 'ok' | 'backing-off' | 'paused';
  reason?: string;
  until?: string;
  /** Sessions delivering right now and open (idle included). */
  inUse: number;
  connections: number;
  /** Messages waiting in the journal (counted as incoming) and the oldest one's id. */
  journaled?: { count: number; active: number; oldestId?: string };
}

export interface StoredInfo {
  id: string;
  client: string;
  sender: string;
  recipients: string[];
  size: number;
}

export interface DeliveryInfo {
  id: string;
  client: string;
  recipients: number;
  /** delivered | deferred | failed | throttled | paused | expired */
  outcome: string;
  reply: string;
  /** Recipients the smarthost took in this attempt (0: nothing was sent). */
  accepted: number;
}

export { deliveryOutcome, refusalReason, type RejectReason } from './labels.js';

/** Settings with every containment feature off (used when the relay is started without them). */
export const OPS_OFF: OpsSettings = { clientRate: [], clientRecipientRate: [], dedupeWindow: 0 };

export class RelayOps {
  readonly clock: Clock;
  readonly stats: ClientStats;
  readonly events: EventLog;
  readonly rate: ClientRateLimiter;
  readonly spike: SpikeDetector;
  readonly quota: QuotaMeter;
  readonly dedupe: DedupeIndex;
  readonly metrics: RelayMetrics;
  private upstream: () => UpstreamProbe | undefined = () => undefined;
  private control?: ControlServer;
  private metricsServer?: MetricsServer;
  private heldUntil = 0;
  /** Repeated rate-limit refusals per client and reason, written as one line every 10 s. */
  private readonly folded = new Map<string, { count: number; ev: OpsEventInput }>();
  private foldTimer?: NodeJS.Timeout;

  constructor(private o: OpsOptions, private readonly logger: Logger) {
    this.clock = o.clock ?? systemClock;
    this.stats = new ClientStats(clientsFile(o.spool), { clock: this.clock, bucketMs: o.statsBucketMs });
    this.events = new EventLog(o.spool, this.clock);
    this.rate = new ClientRateLimiter(o.clientRate, o.clientRecipientRate, this.clock);
    this.spike = new SpikeDetector({}, this.clock);
    this.quota = new QuotaMeter({ hour: o.quotaHour, month: o.quotaMonth }, quotaFile(o.spool), this.clock);
    this.dedupe = new DedupeIndex(o.dedupeWindow, dedupeFile(o.spool), this.clock);
    this.metrics = new RelayMetrics({ status: () => this.status(), clients: () => this.stats.query(HOUR) });
  }

  /** Loads persisted state, opens the control socket and the metrics endpoint. */
  async start(): Promise<void> {
    await Promise.all([this.stats.load(), this.quota.load(), this.dedupe.load()]);
    this.stats.autosave(30_000, (e) => this.logger.warn('client counters not saved', { error: e }));
    this.foldTimer = setInterval(() => this.flushFolded(), 10_000);
    this.foldTimer.unref?.();
    this.control = await startControlServer(this.o.spool, {
      status: async () => this.status(),
      clients: async () => ({ clients: this.stats.ranking() }),
    }).catch((e: unknown) => {
      this.logger.warn('control socket unavailable', { error: e });
      return undefined;
    });
    if (!this.control) this.logger.warn('spool path too long for a control socket; `omr relay status` will read the spool only', { spool: this.o.spool });
    if (this.o.metrics) {
      this.metricsServer = await startMetricsServer(this.o.metrics, this.metrics, () => this.status());
      this.logger.info('metrics listening', { url: `http://${fmt(this.metricsServer.address)}/metrics` });
    }
  }

  /** The scheduler's live upstream state, used by status and metrics. */
  attachUpstream(probe: () => UpstreamProbe | undefined): void {
    this.upstream = probe;
  }

  /** SIGHUP: new limits, quotas and dedupe window take effect for the next command. */
  reload(s: OpsSettings): void {
    this.o = { ...this.o, ...s };
    this.rate.setLimits(s.clientRate, s.clientRecipientRate);
    this.quota.setLimits({ hour: s.quotaHour, month: s.quotaMonth });
    this.dedupe.setWindow(s.dedupeWindow);
    this.logger.info('operations settings reloaded', {
      clientRate: formatRateList(s.clientRate), clientRecipientRate: formatRateList(s.clientRecipientRate),
      quotaHour: s.quotaHour ?? 'off', quotaMonth: s.quotaMonth ?? 'off', dedupeWindowMs: s.dedupeWindow,
    });
  }

  // ---- receiver hooks ----

  onSession(client: string): void {
    this.stats.session(client);
  }

  onMail(client: string, sender: string): RateDecision {
    const d = this.rate.onMail(client);
    if (!d.ok) this.refused(client, 'rate-messages', `${d.code} ${d.text}`, { sender });
    return d;
  }

  onRcpt(client: string, sender: string, rcpt: string): RateDecision {
    const d = this.rate.onRcpt(client);
    if (!d.ok) this.refused(client, 'rate-recipients', `${d.code} ${d.text}`, { sender, rcpts: [rcpt] });
    return d;
  }

  /** A tap to feed every DATA chunk through (body hash, Message-ID, Subject). */
  tap(): BodyTap {
    return new BodyTap();
  }

  /**
   * After the message is on disk: returns the first copy's id when this one is a duplicate (the
   * caller drops it and still answers 250).
   */
  onStored(m: StoredInfo, t: TapResult): string | undefined {
    try {
      return this.stored(m, t);
    } catch (e) {
      // Accounting must never turn a queued message into an error reply (the client would resend).
      this.logger.error('ops accounting failed', { id: m.id, error: e });
      return undefined;
    }
  }

  private stored(m: StoredInfo, t: TapResult): string | undefined {
    const key = dedupeKey({ messageId: t.messageId, sender: m.sender, recipients: m.recipients, bodyHash: t.bodyHash });
    const hit = this.dedupe.claim(key, m.id);
    this.stats.message(m.client, { sender: m.sender, recipients: m.recipients, bytes: m.size });
    const base = { id: m.id, client: m.client, sender: m.sender, rcpts: m.recipients, size: m.size, subject: t.subject, msgid: t.messageId };
    if (hit) {
      this.events.append({ ev: 'duplicate', ...base, first: hit.id });
      this.metrics.duplicate();
      this.logger.warn('duplicate message acknowledged, not queued again', { id: m.id, client: m.client, first: hit.id, firstAt: new Date(hit.at).toISOString(), messageId: t.messageId });
    } else {
      this.events.append({ ev: 'queued', ...base });
      this.metrics.messageReceived();
    }
    const alarm = this.spike.observe(m.client);
    if (alarm)
      this.logger.warn('SPIKE: a LAN client is sending far above its own baseline (malware?); see `omr relay trace ' + m.client + '`', {
        client: m.client, recentMessages: alarm.recent, baseline: alarm.baseline, windowMinutes: Math.round(alarm.windowMs / 60_000),
      });
    return hit?.id;
  }

  /** Any refusal the relay answers a client with (policy, limits, smuggling, spool trouble). */
  refused(client: string, reason: RejectReason, reply: string, m: { sender?: string; rcpts?: string[] } = {}): void {
    this.metrics.reject(reason);
    // Sources outside the allowlist are not LAN clients: a scan must not flood the counters or the log.
    if (reason === 'not-allowed') return;
    this.stats.reject(client);
    const ev: OpsEventInput = { ev: 'reject', client, reason, reply, ...m };
    if (reason !== 'rate-messages' && reason !== 'rate-recipients' && reason !== 'sessions') return this.events.append(ev);
    // A limited client may retry in a tight loop: the first refusal is logged at once, the
    // rest of the next 10 seconds as one line with a repeat count (bounded log growth).
    const key = `${client} ${reason}`;
    const f = this.folded.get(key);
    if (f) f.count++;
    else {
      this.folded.set(key, { count: 0, ev });
      this.events.append(ev);
    }
  }

  private flushFolded(): void {
    // The line stands for `count` refusals: itself and `repeats` more.
    for (const f of this.folded.values()) if (f.count > 0) this.events.append({ ...f.ev, ...(f.count > 1 ? { repeats: f.count - 1 } : {}) } as OpsEventInput);
    this.folded.clear();
  }

  // ---- scheduler hooks ----

  /** Before each delivery attempt: may it go upstream now (counts it when yes)? */
  beforeDelivery(): QuotaDecision {
    const d = this.quota.acquire();
    if (!d.ok && d.until !== this.heldUntil) {
      this.heldUntil = d.until;
      this.logger.warn('quota: holding mail back until the window resets', { until: new Date(d.until).toISOString(), reason: d.reason });
    }
    return d;
  }

  /** May the scheduler load more work? (No while the quota holds sending back.) */
  sendingAllowed(): boolean {
    return this.quota.check().ok;
  }

  /** A delivery that was counted but did not go upstream after all. */
  cancelDelivery(): void {
    this.quota.refund();
  }

  /** Operator flush: forget an upstream quota block (our own meter still applies). */
  onFlush(): void {
    this.quota.clearBlock();
    this.heldUntil = 0;
  }

  /** After each attempt: refunds the quota when nothing was sent, honours quota 421s, logs. */
  afterDelivery(d: DeliveryInfo): { quotaUntil?: number } {
    try {
      return this.delivered(d);
    } catch (e) {
      this.logger.error('ops delivery accounting failed', { id: d.id, error: e });
      return {};
    }
  }

  private delivered(d: DeliveryInfo): { quotaUntil?: number } {
    if (d.accepted === 0) this.quota.refund();
    const which = quotaReply(d.reply);
    let quotaUntil: number | undefined;
    if (which) {
      quotaUntil = this.quota.onUpstreamQuota(which, d.reply);
      this.logger.warn('smarthost quota reached: holding all mail until the window resets', { which, until: new Date(quotaUntil).toISOString(), reply: d.reply });
    }
    this.events.append({ ev: 'delivery', id: d.id, client: d.client, outcome: d.outcome, reply: d.reply, rcpts: d.recipients });
    this.metrics.delivery(d.outcome, Number(/^\s*(\d{3})/.exec(d.reply)?.[1] ?? 0));
    return { quotaUntil };
  }

  /** Live status: queue from the spool, upstream from the scheduler, quota from the meter. */
  async status(): Promise<StatusData> {
    const now = this.clock();
    const up = this.upstream();
    // The relay knows its journal: no need to read the segment files back.
    const q = await readQueue(this.o.spool, now, up?.journaled ?? undefined);
    const quota = this.quota.usage();
    let upstream: UpstreamInfo = up ? { state: up.state, reason: up.reason ?? null, until: up.until ?? null } : { state: 'ok', reason: null, until: null };
    if (quota.blockedUntil && upstream.state !== 'paused') upstream = { state: 'paused', reason: quota.reason, until: quota.blockedUntil };
    return {
      running: true,
      pid: process.pid,
      source: 'relay',
      spool: this.o.spool,
      ...q,
      upstream,
      concurrency: { inUse: up?.inUse ?? 0, connections: up?.connections ?? 0, limit: this.o.maxConnections },
      quota,
    };
  }

  async close(): Promise<void> {
    await this.control?.close();
    await this.metricsServer?.close();
    await this.stats.close().catch((e) => this.logger.warn('client counters not saved', { error: e }));
    clearInterval(this.foldTimer);
    this.flushFolded();
    await this.events.close();
    await this.dedupe.flush();
    await this.quota.persist();
  }

  get metricsAddress(): HostPort | undefined {
    return this.metricsServer?.address;
  }
}

function fmt(h: HostPort): string {
  return h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}
