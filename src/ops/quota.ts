// The upstream quota meter. The scheduler asks before each delivery; the meter says no once the
// hourly (sliding 60 minutes) or monthly (calendar month, UTC) count would pass the configured
// quota, and until when. When the smarthost still answers a quota 421, sending waits until the
// window resets. State is persisted in spool/ops/quota.json so a restart does not forget it.
import { join } from 'node:path';
import { opsDir, readJson, systemClock, writeJsonAtomic, type Clock } from './files.js';

const HOUR = 3_600_000;

export interface QuotaLimits {
  hour?: number;
  month?: number;
}

export type QuotaDecision = { ok: true } | { ok: false; until: number; reason: string };

export interface QuotaUsage {
  hour: { used: number; limit: number | null; resetsAt: string | null };
  month: { used: number; limit: number | null; period: string; resetsAt: string };
  /** Sending held back until then (our own meter or an upstream quota 421). */
  blockedUntil: string | null;
  reason: string | null;
}

interface QuotaState {
  v: 1;
  /** Send times inside the last hour, oldest first. */
  sends: number[];
  month: string;
  monthCount: number;
  blockedUntil: number;
  blockedReason?: string;
}

export function quotaFile(spoolRoot: string): string {
  return join(opsDir(spoolRoot), 'quota.json');
}

export const monthOf = (t: number): string => new Date(t).toISOString().slice(0, 7);
export function nextMonthStart(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Does this upstream reply say the account's sending quota is used up? Which one? */
export function quotaReply(reply: string): 'hour' | 'month' | undefined {
  if (!/^\s*4\d\d/.test(reply) || !/quota|sending limit|message limit|messages? per (hour|day|month)|rate limit exceeded/i.test(reply)) return undefined;
  return /month/i.test(reply) ? 'month' : 'hour';
}

export class QuotaMeter {
  private st: QuotaState;
  private saving?: Promise<void>;
  private again = false;
  private lastWrite = 0;

  constructor(private limits: QuotaLimits, private readonly file?: string, private readonly clock: Clock = systemClock) {
    this.st = { v: 1, sends: [], month: monthOf(clock()), monthCount: 0, blockedUntil: 0 };
  }

  setLimits(limits: QuotaLimits): void {
    this.limits = { ...limits };
  }

  get configured(): boolean {
    return this.limits.hour !== undefined || this.limits.month !== undefined;
  }

  private roll(now: number): void {
    while (this.st.sends.length && this.st.sends[0]! <= now - HOUR) this.st.sends.shift();
    const m = monthOf(now);
    if (m !== this.st.month) Object.assign(this.st, { month: m, monthCount: 0 });
    if (this.st.blockedUntil && this.st.blockedUntil <= now) Object.assign(this.st, { blockedUntil: 0, blockedReason: undefined });
  }

  /** May one more message go upstream now? Does not count it. */
  check(): QuotaDecision {
    const now = this.clock();
    this.roll(now);
    if (this.st.blockedUntil > now) return { ok: false, until: this.st.blockedUntil, reason: this.st.blockedReason ?? 'quota' };
    const { hour, month } = this.limits;
    if (month !== undefined && this.st.monthCount >= month)
      return { ok: false, until: nextMonthStart(now), reason: `monthly quota of ${month} reached (${this.st.monthCount} sent in ${this.st.month})` };
    if (hour !== undefined && this.st.sends.length >= hour) {
      const until = this.st.sends[this.st.sends.length - hour]! + HOUR;
      return { ok: false, until, reason: `hourly quota of ${hour} reached (${this.st.sends.length} sent in the last hour)` };
    }
    return { ok: true };
  }

  /** check() and, when allowed, counts the message (call refund() if nothing was sent after all). */
  acquire(): QuotaDecision {
    const d = this.check();
    if (!d.ok) return d;
    const now = this.clock();
    this.st.sends.push(now);
    this.st.monthCount++;
    this.trim();
    void this.persist();
    return d;
  }

  /** Gives back one reservation (the attempt failed before the smarthost took the message). */
  refund(): void {
    if (this.st.sends.length) this.st.sends.pop();
    if (this.st.monthCount > 0) this.st.monthCount--;
    void this.persist();
  }

  /** The smarthost answered a quota 421: hold everything until its window resets. */
  onUpstreamQuota(which: 'hour' | 'month', reply: string): number {
    const now = this.clock();
    this.roll(now);
    const until = which === 'month' ? nextMonthStart(now) : Math.max(now + 60_000, (this.st.sends[0] ?? now) + HOUR);
    if (until > this.st.blockedUntil) Object.assign(this.st, { blockedUntil: until, blockedReason: `smarthost ${which}ly quota: ${reply.slice(0, 200)}` });
    void this.persist();
    return until;
  }

  /** Clears an upstream block (operator flush). */
  clearBlock(): void {
    Object.assign(this.st, { blockedUntil: 0, blockedReason: undefined });
    void this.persist();
  }

  usage(): QuotaUsage {
    const now = this.clock();
    this.roll(now);
    const d = this.check();
    const hourLimit = this.limits.hour ?? null;
    return {
      hour: { used: this.st.sends.length, limit: hourLimit, resetsAt: this.st.sends.length ? new Date(this.st.sends[0]! + HOUR).toISOString() : null },
      month: { used: this.st.monthCount, limit: this.limits.month ?? null, period: this.st.month, resetsAt: new Date(nextMonthStart(now)).toISOString() },
      blockedUntil: d.ok ? null : new Date(d.until).toISOString(),
      reason: d.ok ? null : d.reason,
    };
  }

  /** The hour list needs no more entries than the hourly quota (or a sane cap without one). */
  private trim(): void {
    const cap = this.limits.hour ?? 10_000;
    if (this.st.sends.length > cap) this.st.sends.splice(0, this.st.sends.length - cap);
  }

  async load(): Promise<void> {
    const s = this.file ? await readJson<QuotaState>(this.file) : undefined;
    if (s && s.v === 1 && Array.isArray(s.sends) && typeof s.monthCount === 'number') this.st = { ...s, sends: s.sends.filter((t) => typeof t === 'number').sort((a, b) => a - b) };
    this.roll(this.clock());
  }

  /**
   * One write in flight at a time, at most one a second, coalescing the changes made meanwhile
   * (a crash loses at most a second of counts; the smarthost's own 421 still backs that up).
   */
  persist(): Promise<void> {
    if (!this.file) return Promise.resolve();
    this.again = true;
    if (this.saving) return this.saving;
    const file = this.file;
    this.saving = (async () => {
      while (this.again) {
        this.again = false;
        const wait = this.lastWrite + 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.again = false;
        this.lastWrite = Date.now();
        await writeJsonAtomic(file, this.st).catch(() => undefined);
      }
      this.saving = undefined;
    })();
    return this.saving;
  }
}

/** Usage from the spool alone (relay stopped): limits from the config, counts from the file. */
export async function loadQuotaUsage(spoolRoot: string, limits: QuotaLimits, clock?: Clock): Promise<QuotaUsage> {
  const m = new QuotaMeter(limits, quotaFile(spoolRoot), clock);
  await m.load();
  return m.usage();
}
