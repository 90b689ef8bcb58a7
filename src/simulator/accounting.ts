// Counters and limits of the simulator, free of sockets so they can be unit-tested with a fake
// clock. Connection limit: OMR counts connections per account, but a server learns the account
// only at AUTH, so authenticated sessions are counted per account (the 6th gets 421 at AUTH);
// a separate total cap applies at connect. Quotas count accepted messages per account: the hourly
// one over a sliding 60-minute window, the monthly one per calendar month (UTC). A message
// reserves quota at MAIL and commits it when accepted, so concurrent sessions cannot overshoot.
import type { SimulatorStats } from './types.js';

const HOUR_MS = 3_600_000;

export interface Limits {
  maxConnections: number;
  maxTotalConnections: number;
  quotaHour?: number;
  quotaMonth?: number;
}

export type QuotaVerdict = { ok: true } | { ok: false; which: 'hour' | 'month'; limit: number };

function monthKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}`;
}

export class Accounting {
  private current = 0;
  private peak = 0;
  private total = 0;
  private perAccount = new Map<string, number>();
  private peakPerAccount = new Map<string, number>();
  private sessions = 0;
  private accepted = 0;
  private acceptedBytes = 0;
  private acceptedPerAccount = new Map<string, number>();
  private rejected = new Map<string, number>();
  private faults = new Map<string, number>();
  /** Accept times per account, for the sliding hour window. */
  private hourLog = new Map<string, number[]>();
  private monthCount = new Map<string, { key: string; n: number }>();
  /** Quota reserved by transactions in flight, per account. */
  private reserved = new Map<string, number>();

  constructor(
    public limits: Limits,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A TCP connection arrived; false when the total cap is reached (it is then not counted). */
  connect(): boolean {
    if (this.current >= this.limits.maxTotalConnections) return false;
    this.current++;
    this.total++;
    this.peak = Math.max(this.peak, this.current);
    return true;
  }

  disconnect(): void {
    this.current = Math.max(0, this.current - 1);
  }

  /** An account authenticated; false when it already holds maxConnections sessions. */
  login(user: string): boolean {
    const n = this.perAccount.get(user) ?? 0;
    if (n >= this.limits.maxConnections) return false;
    this.perAccount.set(user, n + 1);
    this.peakPerAccount.set(user, Math.max(this.peakPerAccount.get(user) ?? 0, n + 1));
    this.sessions++;
    return true;
  }

  logout(user: string): void {
    const n = (this.perAccount.get(user) ?? 0) - 1;
    if (n <= 0) this.perAccount.delete(user);
    else this.perAccount.set(user, n);
  }

  /** Accepts in the last 60 minutes; drops older entries from the front (times only grow). */
  private hourCount(user: string): number {
    const log = this.hourLog.get(user);
    if (!log) return 0;
    const since = this.clock() - HOUR_MS;
    let drop = 0;
    while (drop < log.length && log[drop]! <= since) drop++;
    if (drop) log.splice(0, drop);
    return log.length;
  }

  private monthUsed(user: string): number {
    const m = this.monthCount.get(user);
    return m && m.key === monthKey(this.clock()) ? m.n : 0;
  }

  /** Reserve one message of quota for a transaction starting with MAIL. */
  reserve(user: string): QuotaVerdict {
    const pending = this.reserved.get(user) ?? 0;
    const { quotaHour, quotaMonth } = this.limits;
    if (quotaMonth !== undefined && this.monthUsed(user) + pending >= quotaMonth) return { ok: false, which: 'month', limit: quotaMonth };
    if (quotaHour !== undefined && this.hourCount(user) + pending >= quotaHour) return { ok: false, which: 'hour', limit: quotaHour };
    this.reserved.set(user, pending + 1);
    return { ok: true };
  }

  /** The reserved transaction ended without acceptance. */
  release(user: string): void {
    const n = (this.reserved.get(user) ?? 0) - 1;
    if (n <= 0) this.reserved.delete(user);
    else this.reserved.set(user, n);
  }

  /** The transaction was accepted: count it against the quotas (and end its reservation, if it still holds one). */
  commit(user: string, bytes: number, reserved = true): void {
    if (reserved) this.release(user);
    const now = this.clock();
    const log = this.hourLog.get(user) ?? [];
    log.push(now);
    this.hourLog.set(user, log);
    this.hourCount(user);
    const key = monthKey(now);
    const m = this.monthCount.get(user);
    this.monthCount.set(user, { key, n: m && m.key === key ? m.n + 1 : 1 });
    this.accepted++;
    this.acceptedBytes += bytes;
    this.acceptedPerAccount.set(user, (this.acceptedPerAccount.get(user) ?? 0) + 1);
  }

  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  fault(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  /** Forget usage (quota windows, counters); live sessions stay counted. */
  reset(): void {
    this.hourLog.clear();
    this.monthCount.clear();
    this.rejected.clear();
    this.faults.clear();
    this.acceptedPerAccount.clear();
    this.accepted = 0;
    this.acceptedBytes = 0;
    this.sessions = 0;
    this.total = this.current;
    this.peak = this.current;
    this.peakPerAccount = new Map(this.perAccount);
  }

  stats(): SimulatorStats {
    const quota: SimulatorStats['quota'] = {};
    const users = new Set([...this.hourLog.keys(), ...this.monthCount.keys()]);
    for (const u of users) quota[u] = { hour: this.hourCount(u), month: this.monthUsed(u) };
    const rejectedTotal = [...this.rejected.values()].reduce((a, b) => a + b, 0);
    return {
      connections: {
        current: this.current,
        peak: this.peak,
        total: this.total,
        currentPerAccount: Object.fromEntries(this.perAccount),
        peakPerAccount: Object.fromEntries(this.peakPerAccount),
      },
      sessions: this.sessions,
      accepted: this.accepted,
      acceptedBytes: this.acceptedBytes,
      acceptedPerAccount: Object.fromEntries(this.acceptedPerAccount),
      rejected: { total: rejectedTotal, byReason: Object.fromEntries(this.rejected) },
      faultsFired: Object.fromEntries(this.faults),
      quota,
    };
  }
}
