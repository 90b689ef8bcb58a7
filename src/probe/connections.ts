// `--connections N`: open N sessions at once (each as far as AUTH when credentials are given,
// since OMR counts connections per account), hold them, and count how many the server accepted
// before it answered 421.
import { formatReply } from './reply.js';
import { endSession, probePortHeld } from './port-probe.js';
import { phaseRank, type ProbeOptions } from './types.js';

export interface ConnectionsResult {
  port: number;
  attempted: number;
  accepted: number;
  /** The first refusal, e.g. "421 4.7.0 Too many connections", or null when all were accepted. */
  firstRejection: string | null;
  /** How each session ended, in start order: "accepted", or the phase that failed. */
  results: string[];
  durationMs: number;
}

export async function testConnections(base: ProbeOptions, n: number): Promise<ConnectionsResult> {
  const start = performance.now();
  const stopAfter = phaseRank(base.stopAfter) > phaseRank('auth') ? 'auth' : base.stopAfter;
  const opts: ProbeOptions = { ...base, stopAfter, onTranscript: undefined };
  // Started together; each keeps its session open until all are done, so they overlap.
  const held = await Promise.all(Array.from({ length: n }, () => probePortHeld(opts)));
  try {
    const reports = held.map((h) => h.report);
    const refusal = reports.find((r) => r.rejection?.reply.code === 421) ?? reports.find((r) => r.rejection);
    const failure = reports.find((r) => !r.completed);
    const firstRejection = refusal?.rejection
      ? formatReply(refusal.rejection.reply)
      : failure
        ? (failure.phases[failure.phases.length - 1]?.summary ?? 'failed')
        : null;
    return {
      port: base.port,
      attempted: n,
      accepted: reports.filter((r) => r.completed).length,
      firstRejection,
      results: reports.map((r) => (r.completed ? 'accepted' : (r.failedPhase ?? 'failed'))),
      durationMs: Math.round(performance.now() - start),
    };
  } finally {
    await Promise.all(held.map((h) => endSession(h, base.timeoutMs)));
  }
}
