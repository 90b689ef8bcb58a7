// Bounded label sets: how relay steps and refusal reasons are named in logs, trace and metrics.
export type RejectReason = 'rate-messages' | 'rate-recipients' | 'not-allowed' | 'size' | 'smuggling' | 'line-length' | 'header-size' | 'sessions' | 'spool' | 'other';

/** The delivery outcome label for logs, trace and metrics, from the relay's step and rule. */
export function deliveryOutcome(step: string, rule: string): string {
  if (step === 'pause') return 'paused';
  if (step === 'throttle') return 'throttled';
  if (step === 'defer') return 'deferred';
  if (rule === 'delivered') return 'delivered';
  if (rule === 'expired') return 'expired';
  return 'failed';
}

/** Which refusal reason a receiver refusal counts as (bounded set for metrics). */
export function refusalReason(reason: string): RejectReason {
  if (reason === 'size') return 'size';
  if (reason === 'bare-cr' || reason === 'bare-lf' || reason === 'smuggling') return 'smuggling';
  if (reason === 'line-too-long') return 'line-length';
  if (reason === 'header-too-large') return 'header-size';
  return 'other';
}

