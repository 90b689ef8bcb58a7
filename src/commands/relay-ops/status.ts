// omr relay status
import type { CommandContext, RenderStyle } from '../../cli/spec.js';
import type { Check, CommandResult, Envelope } from '../../core/result.js';
import { renderDefault } from '../../cli/output.js';
import { readStatus } from '../../ops/status-read.js';
import type { StatusData } from '../../ops/status.js';
import { ago, relaySettings } from './common.js';

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<CommandResult<StatusData>> {
  const cfg = relaySettings(ctx, opts);
  const data = await readStatus(cfg.spool, { hour: cfg.quotaHour, month: cfg.quotaMonth });
  return { checks: checksFor(data), data };
}

export function checksFor(d: StatusData): Check[] {
  const checks: Check[] = [];
  checks.push(d.running
    ? { id: 'relay:running', status: 'pass', summary: `relay running (pid ${d.pid})${d.source === 'spool' ? ', but its control socket did not answer' : ''}` }
    : { id: 'relay:running', status: 'warn', summary: 'no relay is running on this spool; figures read from the spool', hint: 'start it: omr relay start (or systemctl start omr-relay)' });
  const u = d.upstream;
  const resume = u.until ? ` until ${u.until}` : '';
  if (u.state === 'paused') {
    const quota = /quota/i.test(u.reason ?? '');
    checks.push({ id: 'upstream', status: quota ? 'warn' : 'fail', summary: `queue paused${resume}: ${u.reason ?? 'unknown reason'}`, detail: { ...u },
      hint: quota ? 'mail is held, not lost; it goes out when the quota window resets' : 'no mail is bounced while paused; fix the account (password, suspension) with TZO, then: omr queue flush' });
  } else if (u.state === 'backing-off') {
    checks.push({ id: 'upstream', status: 'warn', summary: `backing off${resume}: ${u.reason ?? 'the smarthost asked us to slow down'}`, detail: { ...u } });
  } else if (u.state === 'ok') checks.push({ id: 'upstream', status: 'pass', summary: u.reason ?? 'smarthost accepting mail' });
  const q = d.queue;
  checks.push({ id: 'queue', status: 'pass', summary: `${q.total} queued: ${q.incoming} incoming, ${q.active} active, ${q.deferred} deferred, ${q.hold} on hold${d.oldest ? `; oldest ${ago(d.oldest.createdAt)}` : ''}`, detail: { ...q } });
  if (q.corrupt > 0) checks.push({ id: 'queue:corrupt', status: 'warn', summary: `${q.corrupt} unreadable queue file(s) set aside in ${d.spool}/corrupt`, hint: 'inspect them by hand; the relay does not touch them again' });
  return checks;
}

function quotaLine(d: StatusData): string | undefined {
  const qu = d.quota;
  if (!qu) return undefined;
  const h = qu.hour.limit !== null ? `${qu.hour.used}/${qu.hour.limit} this hour` : `${qu.hour.used} in the last hour`;
  const m = qu.month.limit !== null ? `${qu.month.used}/${qu.month.limit} in ${qu.month.period}` : `${qu.month.used} in ${qu.month.period}`;
  return `quota:       ${h}, ${m}${qu.blockedUntil ? `; sending resumes ${qu.blockedUntil}` : ''}`;
}

export function render(env: Envelope<StatusData>, s: RenderStyle): string[] {
  const d = env.data;
  const lines = [
    `${s.bold('spool:')}       ${d.spool}${d.running ? `  (relay pid ${d.pid})` : s.yellow('  (relay not running)')}`,
    `upstream:    ${d.upstream.state}${d.upstream.reason ? ` — ${d.upstream.reason}` : ''}${d.upstream.until ? ` (until ${d.upstream.until})` : ''}`,
    d.concurrency ? `connections: ${d.concurrency.inUse} delivering, ${d.concurrency.connections} open, limit ${d.concurrency.limit}` : undefined,
    quotaLine(d),
    '',
  ].filter((l): l is string => l !== undefined);
  return [...lines, ...renderDefault(env as Envelope<unknown>, s)];
}
