// Applies one delivery attempt's result to a queue record: which recipients are done, which
// failed for good (DSN due), which wait, and what the scheduler must do next. Pure.
import { expired, retryDelay } from './backoff.js';
import { classify, replyText, type Classification } from './classify.js';
import type { SendResult } from './deliver.js';
import type { QueueRecord, RecipientRecord } from './types.js';

export type NextStep = 'done' | 'defer' | 'throttle' | 'pause';

export interface Applied {
  record: QueueRecord;
  step: NextStep;
  /** Recipients that failed permanently and still need a DSN. */
  dsnDue: Array<{ address: string; reply: string }>;
  reply: string;
  rule: string;
}

export interface ApplyPolicy {
  retryBaseMs: number;
  retryMaxMs: number;
  maxQueueLifetimeMs: number;
  random?: () => number;
}

export const isOpen = (r: RecipientRecord): boolean => r.status === 'pending' || r.status === 'deferred';
const key = (a: string): string => a.toLowerCase();

export function applyResult(rec0: QueueRecord, res: SendResult, p: ApplyPolicy, now = Date.now()): Applied {
  const rec: QueueRecord = { ...rec0, recipients: rec0.recipients.map((r) => ({ ...r })) };
  const open = rec.recipients.filter(isOpen);
  let step: NextStep = 'done';
  let reply: string;
  let rule = 'delivered';
  if (res.error) {
    const c = classify(res.error);
    reply = replyText(res.error);
    rule = c.rule;
    if (c.outcome === 'pause') return { record: { ...rec, lastReply: reply }, step: 'pause', dsnDue: [], reply, rule };
    const status = c.outcome === 'fail' ? 'failed' : 'deferred';
    for (const r of open) Object.assign(r, { status, lastReply: reply });
    step = stepOf(c);
  } else {
    reply = (res.response ?? '250 accepted').trim();
    const accepted = new Set(res.accepted.map(key));
    const rejected = new Map(res.rejected.map((x) => [key(x.address), x.failure]));
    for (const r of open) {
      const f = rejected.get(key(r.address));
      if (f) {
        const c = classify(f);
        Object.assign(r, { status: c.outcome === 'fail' ? 'failed' : 'deferred', lastReply: replyText(f) });
        if (c.outcome !== 'fail') step = worse(step, stepOf(c));
        if (c.outcome === 'fail' && rule === 'delivered') rule = c.rule;
      } else if (accepted.has(key(r.address))) Object.assign(r, { status: 'sent', lastReply: reply });
      else Object.assign(r, { status: 'deferred', lastReply: 'no reply for this recipient' });
    }
    if (res.rejected.length) reply = replyText(res.rejected[res.rejected.length - 1]!.failure);
  }
  rec.attempts++;
  rec.lastReply = reply;
  if (rec.recipients.some(isOpen)) {
    if (step === 'done') step = 'defer';
    if (expired(rec.createdAt, p.maxQueueLifetimeMs, now)) {
      const why = `message expired after ${Math.round(p.maxQueueLifetimeMs / 3_600_000)}h in the queue; last reply: ${reply}`;
      for (const r of rec.recipients.filter(isOpen)) Object.assign(r, { status: 'failed', lastReply: why });
      step = 'done';
      rule = 'expired';
    } else {
      rec.nextAttemptAt = new Date(now + retryDelay(rec.attempts, { baseMs: p.retryBaseMs, maxMs: p.retryMaxMs }, p.random)).toISOString();
    }
  } else step = 'done';
  const dsnDue = rec.recipients.filter((r) => r.status === 'failed' && !r.notified).map((r) => ({ address: r.address, reply: r.lastReply ?? reply }));
  return { record: rec, step, dsnDue, reply, rule };
}

function stepOf(c: Classification): NextStep {
  if (c.outcome === 'throttle') return 'throttle';
  if (c.outcome === 'pause') return 'pause';
  if (c.outcome === 'fail') return 'done';
  return 'defer';
}

function worse(a: NextStep, b: NextStep): NextStep {
  const order: NextStep[] = ['done', 'defer', 'throttle', 'pause'];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}
