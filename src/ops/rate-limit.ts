// Containment of a misbehaving LAN client: per-client sliding-window limits on messages (checked
// at MAIL FROM) and recipients (checked at RCPT TO), answered with 4xx so a legitimate client's
// mail is retried, never bounced. A spike detector compares a client's recent rate with its own
// long-run baseline and raises one alarm per quiet period.
import type { RateLimit } from '../core/rate.js';
import { formatRateList } from '../core/rate.js';
import { systemClock, type Clock } from './files.js';

export type RateDecision = { ok: true } | { ok: false; code: number; text: string; limit: string; retryAfterMs: number };

/** The last few event times of one client (at most the largest limit's count; bounded). */
class History {
  readonly times: number[] = [];
  add(t: number, keep: number, maxWindow: number): void {
    this.times.push(t);
    const cut = t - maxWindow;
    let drop = Math.max(0, this.times.length - keep);
    while (drop < this.times.length && this.times[drop]! <= cut) drop++;
    if (drop) this.times.splice(0, drop);
  }
  countSince(since: number): number {
    let n = 0;
    for (let i = this.times.length - 1; i >= 0 && this.times[i]! > since; i--) n++;
    return n;
  }
  /** When the count inside `windowMs` drops below `limit` again. */
  freeAt(limit: number, windowMs: number): number {
    const i = this.times.length - limit;
    return i >= 0 ? this.times[i]! + windowMs : 0;
  }
}

/** Exact sliding-window limiter for one kind of event (messages or recipients). */
export class SlidingLimiter {
  private readonly clients = new Map<string, History>();
  private keep = 0;
  private maxWindow = 0;
  private ops = 0;
  constructor(private limits: readonly RateLimit[], private readonly clock: Clock = systemClock) {
    this.setLimits(limits);
  }

  setLimits(limits: readonly RateLimit[]): void {
    this.limits = [...limits];
    this.keep = Math.max(0, ...limits.map((l) => l.count));
    this.maxWindow = Math.max(0, ...limits.map((l) => l.windowMs));
  }

  get text(): string {
    return formatRateList(this.limits);
  }

  /** Counts one event when every limit allows it; otherwise says which limit and for how long. */
  take(client: string): { ok: true } | { ok: false; limit: RateLimit; retryAfterMs: number } {
    if (!this.limits.length) return { ok: true };
    const now = this.clock();
    let h = this.clients.get(client);
    for (const l of this.limits) {
      if (h && h.countSince(now - l.windowMs) >= l.count) return { ok: false, limit: l, retryAfterMs: Math.max(1000, h.freeAt(l.count, l.windowMs) - now) };
    }
    if (!h) this.clients.set(client, (h = new History()));
    h.add(now, this.keep, this.maxWindow);
    if (++this.ops % 1000 === 0) this.sweep(now);
    return { ok: true };
  }

  /** Forgets clients idle for longer than the longest window. */
  private sweep(now: number): void {
    for (const [c, h] of this.clients) if ((h.times[h.times.length - 1] ?? 0) <= now - this.maxWindow) this.clients.delete(c);
  }

  get size(): number {
    return this.clients.size;
  }
}

export class ClientRateLimiter {
  readonly messages: SlidingLimiter;
  readonly recipients: SlidingLimiter;
  constructor(messageLimits: readonly RateLimit[], recipientLimits: readonly RateLimit[], clock: Clock = systemClock) {
    this.messages = new SlidingLimiter(messageLimits, clock);
    this.recipients = new SlidingLimiter(recipientLimits, clock);
  }

  setLimits(messageLimits: readonly RateLimit[], recipientLimits: readonly RateLimit[]): void {
    this.messages.setLimits(messageLimits);
    this.recipients.setLimits(recipientLimits);
  }

  /** At MAIL FROM: 451 4.7.1 when the client is over its message rate. */
  onMail(client: string): RateDecision {
    const d = this.messages.take(client);
    if (d.ok) return d;
    const wait = Math.ceil(d.retryAfterMs / 1000);
    return { ok: false, code: 451, text: `4.7.1 ${client} is over its message rate (${d.limit.text}); try again in ${wait}s`, limit: d.limit.text, retryAfterMs: d.retryAfterMs };
  }

  /** At RCPT TO: 452 4.5.3 when the client is over its recipient rate (the client retries the rest later). */
  onRcpt(client: string): RateDecision {
    const d = this.recipients.take(client);
    if (d.ok) return d;
    const wait = Math.ceil(d.retryAfterMs / 1000);
    return { ok: false, code: 452, text: `4.5.3 ${client} is over its recipient rate (${d.limit.text}); try again in ${wait}s`, limit: d.limit.text, retryAfterMs: d.retryAfterMs };
  }
}

export interface SpikeOptions {
  /** Recent window the burst is measured over. */
  fastMs?: number;
  /** Long-run baseline window. */
  slowMs?: number;
  /** The recent rate must exceed the baseline rate this many times. */
  factor?: number;
  /** ...and the recent window must hold at least this many messages. */
  minBurst?: number;
  /** At most one alarm per client in this time. */
  quietMs?: number;
}

export interface SpikeAlarm {
  client: string;
  /** Messages in the recent window (decayed estimate). */
  recent: number;
  /** Baseline for the same length of time. */
  baseline: number;
  windowMs: number;
}

/** Two exponentially decaying counters per client: recent (fast) and baseline (slow). */
export class SpikeDetector {
  private readonly state = new Map<string, { fast: number; slow: number; t: number; alarmedAt: number }>();
  private readonly o: Required<SpikeOptions>;
  constructor(o: SpikeOptions = {}, private readonly clock: Clock = systemClock) {
    this.o = { fastMs: 10 * 60_000, slowMs: 86_400_000, factor: 10, minBurst: 50, quietMs: 30 * 60_000, ...o };
  }

  /** Records n messages; returns an alarm when the client's recent rate is far above its baseline. */
  observe(client: string, n = 1): SpikeAlarm | undefined {
    const now = this.clock();
    const s = this.state.get(client) ?? { fast: 0, slow: 0, t: now, alarmedAt: -Infinity };
    const dt = Math.max(0, now - s.t);
    s.fast = s.fast * Math.exp(-dt / this.o.fastMs) + n;
    s.slow = s.slow * Math.exp(-dt / this.o.slowMs) + n;
    s.t = now;
    this.state.set(client, s);
    if (this.state.size > 10_000) this.state.delete(this.state.keys().next().value!);
    // Baseline in "messages per fast window": slow counter / slowMs * fastMs.
    const baseline = (s.slow * this.o.fastMs) / this.o.slowMs;
    if (s.fast < this.o.minBurst || s.fast <= this.o.factor * baseline) return undefined;
    if (now - s.alarmedAt < this.o.quietMs) return undefined;
    s.alarmedAt = now;
    return { client, recent: Math.round(s.fast), baseline: Math.round(baseline * 10) / 10, windowMs: this.o.fastMs };
  }
}
