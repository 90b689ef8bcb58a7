// omr relay trace IP
import type { CommandContext, RenderStyle } from '../../cli/spec.js';
import type { CommandResult, Envelope } from '../../core/result.js';
import { UsageError } from '../../core/errors.js';
import { normalizeIp, traceClient, type TraceRow } from '../../ops/trace.js';
import { relaySettings } from './common.js';

interface Data {
  client: string;
  since: string;
  messages: TraceRow[];
  counts: { queued: number; duplicate: number; refused: number; delivered: number };
}

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<Data>> {
  let client: string;
  try {
    client = normalizeIp(args[0] ?? '');
  } catch {
    throw new UsageError(`"${args[0] ?? ''}" is not an IP address`, 'Give the LAN client address, e.g. omr relay trace 192.168.1.37');
  }
  const cfg = relaySettings(ctx, opts);
  const since = Date.now() - Number(opts.since ?? 86_400_000);
  const messages = await traceClient(cfg.spool, client, since);
  const counts = {
    queued: messages.filter((m) => m.status === 'queued').length,
    duplicate: messages.filter((m) => m.status === 'duplicate').length,
    refused: messages.filter((m) => m.status === 'refused').reduce((n, m) => n + 1 + (m.repeats ?? 0), 0),
    delivered: messages.filter((m) => m.deliveries.some((d) => d.outcome === 'delivered')).length,
  };
  const summary = `${client} since ${new Date(since).toISOString()}: ${counts.queued} queued (${counts.delivered} delivered), ${counts.duplicate} duplicate(s), ${counts.refused} refused`;
  return { checks: [{ id: 'trace', status: 'pass', summary }], data: { client, since: new Date(since).toISOString(), messages, counts } };
}

export function render(env: Envelope<Data>, s: RenderStyle): string[] {
  const lines = env.data.messages.map((m) => {
    const rc = m.recipients.length > 2 ? `${m.recipients.slice(0, 2).join(', ')} +${m.recipients.length - 2}` : m.recipients.join(', ');
    const what = m.status === 'refused' ? s.yellow(`refused (${m.reason})${m.repeats ? ` x${m.repeats + 1}` : ''}: ${m.reply}`) : m.status === 'duplicate' ? s.dim(`duplicate of ${m.duplicateOf}, not sent again`) : (m.upstream ?? s.dim('not delivered yet'));
    const subj = m.subject !== undefined ? ` "${m.subject}"` : '';
    return `${m.time.replace('T', ' ').slice(0, 19)}  ${(m.id || '-').padEnd(17)}  <${m.sender}> -> ${rc || '-'}${subj}  ${what}`;
  });
  return [...(lines.length ? lines : [`Nothing from ${env.data.client} since ${env.data.since}.`]), '', env.checks[0]!.summary];
}
