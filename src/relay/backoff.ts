// Retry schedule maths, pure so it can be tested with a fake clock and a fixed random source.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay randomised either way (0.2 = +-20%). */
  jitter?: number;
}

/** Delay before attempt number `attempts + 1`, after `attempts` failures (>= 1). */
export function retryDelay(attempts: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, attempts);
  const raw = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(n - 1, 30));
  const j = p.jitter ?? 0.2;
  return Math.max(1, Math.round(raw * (1 - j + 2 * j * random())));
}

/** True when a message has been queued longer than its lifetime allows. */
export function expired(createdAt: string, lifetimeMs: number, now: number): boolean {
  return now - Date.parse(createdAt) >= lifetimeMs;
}

/**
 * Concurrency feedback like Postfix's: start at the limit, drop by one on every 421 (never below
 * one), climb back by one after `recoverAfter` clean deliveries.
 */
export class ConcurrencyWindow {
  private clean = 0;
  current: number;
  constructor(readonly max: number, private readonly recoverAfter = 20) {
    this.current = max;
  }
  onThrottle(): void {
    this.clean = 0;
    this.current = Math.max(1, this.current - 1);
  }
  onSuccess(): void {
    if (this.current >= this.max) return;
    if (++this.clean >= this.recoverAfter) {
      this.clean = 0;
      this.current++;
    }
  }
}
