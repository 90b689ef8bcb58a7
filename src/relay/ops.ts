// First, in-memory versions of the relay-operations features, built on RelayHooks:
// per-client message rate (4xx over the limit), duplicate suppression within a window
// (Message-ID + envelope + body hash), and an hourly upstream quota (sending held back before
// OMR's quota runs out). Counters reset at restart; persistent accounting is future work.
import type { Logger } from '../core/logger.js';
import type { RateLimit } from '../core/rate.js';
import { readHeaderBlock } from './bounce.js';
import type { QueueRecord, RelayHooks } from './types.js';

export interface OpsOptions {
  clientRate: RateLimit[];
  dedupeWindowMs: number;
  quotaHour?: number;
  now?: () => number;
}

/** Timestamps in a sliding window; old ones are dropped as they age out. */
class Window {
  private times: number[] = [];
  constructor(private readonly ms: number) {}
  count(now: number): number {
    while (this.times.length && this.times[0]! <= now - this.ms) this.times.shift();
    return this.times.length;
  }
  add(now: number): void {
    this.times.push(now);
  }
  /** When the oldest entry leaves the window. */
  nextFree(now: number): number {
    return this.times.length ? this.times[0]! + this.ms - now : 0;
  }
}

export function messageIdOf(headers: string): string {
  return /^Message-ID:[ \t]*(.*(?:\r\n[ \t].*)*)/im.exec(headers)?.[1]?.replace(/\s+/g, '').toLowerCase() ?? '';
}

export function dedupeKey(rec: QueueRecord, messageId: string): string {
  return [messageId, rec.sender.toLowerCase(), rec.recipients.map((r) => r.address.toLowerCase()).sort().join(','), rec.bodyHash].join('|');
}

export function operationsHooks(o: OpsOptions, logger: Logger): RelayHooks {
  const now = o.now ?? Date.now;
  const perClient = new Map<string, Window[]>();
  const seen = new Map<string, number>();
  const hour = new Window(3_600_000);
  const clientWindows = (c: string): Window[] => {
    let w = perClient.get(c);
    if (!w) perClient.set(c, (w = o.clientRate.map((r) => new Window(r.windowMs))));
    return w;
  };
  return {
    async beforeCommit(rec, bodyPath) {
      const t = now();
      let key: string | undefined;
      if (o.dedupeWindowMs > 0) {
        for (const [k, at] of seen) if (at <= t - o.dedupeWindowMs) seen.delete(k);
        key = dedupeKey(rec, messageIdOf(await readHeaderBlock(bodyPath, 16 * 1024).catch(() => '')));
        if (seen.has(key)) {
          logger.warn('duplicate suppressed', { client: rec.client, sender: rec.sender, id: rec.id });
          return 'duplicate';
        }
      }
      const ws = rec.client ? clientWindows(rec.client) : [];
      const over = o.clientRate.find((r, i) => ws[i] !== undefined && ws[i]!.count(t) >= r.count);
      if (over) {
        logger.warn('client over its rate limit', { client: rec.client, limit: over.text, sender: rec.sender });
        return { code: 450, text: `4.7.1 ${rec.client} sent more than ${over.text}; try again later` };
      }
      // Only an accepted message counts (a refused one will be resent by the client).
      ws.forEach((w) => w.add(t));
      if (key) seen.set(key, t);
      return undefined;
    },
    sendGate() {
      if (!o.quotaHour) return undefined;
      const t = now();
      if (hour.count(t) < o.quotaHour) return undefined;
      return { waitMs: Math.max(1000, hour.nextFree(t)), reason: `hourly quota of ${o.quotaHour} messages reached` };
    },
    onAttempt(_rec, r) {
      // The quota counts messages the smarthost accepted (OMR counts what it relays).
      if (r.accepted > 0) hour.add(now());
    },
  };
}
