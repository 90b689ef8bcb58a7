// One result model for every command: domain code returns it, the CLI edge renders it as
// JSON or as human text. Failed checks are data, not exceptions.

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type Verdict = 'pass' | 'warn' | 'fail';

export interface Check {
  /** Stable id, e.g. "tcp:587" or "diagnosis:port25-blocked". */
  id: string;
  status: CheckStatus;
  durationMs?: number;
  summary: string;
  detail?: Record<string, unknown>;
  hint?: string;
}

/** What a command's domain code returns; the envelope is built from it at the edge. */
export interface CommandResult<D = Record<string, unknown>> {
  checks: Check[];
  data: D;
  /** Overrides the verdict derived from the checks (e.g. `omr test`'s per-port rule). */
  verdict?: Verdict;
}

export interface Envelope<D = Record<string, unknown>> {
  schemaVersion: 1;
  command: string;
  ok: boolean;
  verdict: Verdict;
  startedAt: string;
  durationMs: number;
  checks: Check[];
  data: D;
}

/** fail if any check failed, warn if any warned, else pass. */
export function deriveVerdict(checks: readonly Check[]): Verdict {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  return 'pass';
}

/** Exit code of a verdict: 0 pass, 0 warn (1 with --strict), 1 fail. */
export function exitCodeFor(verdict: Verdict, strict = false): 0 | 1 {
  if (verdict === 'fail') return 1;
  if (verdict === 'warn' && strict) return 1;
  return 0;
}

export function makeEnvelope<D>(
  command: string,
  result: CommandResult<D>,
  startedAt: Date,
  finishedAt: Date = new Date(),
  strict = false,
): Envelope<D> {
  const verdict = result.verdict ?? deriveVerdict(result.checks);
  return {
    schemaVersion: 1,
    command,
    ok: exitCodeFor(verdict, strict) === 0,
    verdict,
    startedAt: startedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    checks: result.checks,
    data: result.data,
  };
}

/** Envelope for a command that could not run (usage/config error, exit 2). */
export function errorEnvelope(command: string, startedAt: Date, error: { message: string; hint?: string; code?: string; exitCode: number }): Envelope<{ error: { message: string; hint?: string; code?: string; exitCode: number } }> {
  return {
    schemaVersion: 1,
    command,
    ok: false,
    verdict: 'fail',
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    checks: [],
    data: { error: { message: error.message, hint: error.hint, code: error.code, exitCode: error.exitCode } },
  };
}

/** Small helper for timing a check. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; durationMs: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, durationMs: Math.round(performance.now() - start) };
}
