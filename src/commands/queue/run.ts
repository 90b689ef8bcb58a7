// `omr queue <list|show|flush|delete|hold|release>`: thin wiring over src/relay/queue-ops.
import type { CommandContext } from '../../cli/spec.js';
import { UsageError } from '../../core/errors.js';
import type { Check, CommandResult } from '../../core/result.js';
import {
  deleteMessages, flushMessages, holdMessages, idsByClient, listMessages, NoSpoolError, openSpool, releaseMessages, showMessage,
  type OpResult, type QueueMessage,
} from '../../relay/queue-ops.js';
import type { Spool } from '../../relay/spool.js';

export { render } from './render.js';

export interface QueueData {
  spool: string;
  relayRunning: boolean;
  messages?: QueueMessage[];
  message?: QueueMessage & { headers: string };
  result?: OpResult;
}

// The config resolver (yaml, zod) and the address parser load only when needed: `queue list
// --spool DIR` on 100,000 messages must answer within 2 s (issue 9), start-up included.
async function spoolDir(ctx: CommandContext, opts: Record<string, unknown>): Promise<string> {
  if (ctx.given('spool') && typeof opts.spool === 'string') return opts.spool;
  const { resolveRelayConfig } = await import('../../config/resolve.js');
  return resolveRelayConfig({ flags: {}, env: ctx.env, file: opts.config as string | undefined }).config.spool;
}

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<QueueData>> {
  const sub = ctx.command.split(' ').pop()!;
  const dir = await spoolDir(ctx, opts);
  const { spool, relayPid } = await openSpool(dir).catch((e) => {
    if (e instanceof NoSpoolError) throw new UsageError(`${e.message}`, 'Give the relay\'s spool with --spool DIR or --config FILE (the relay creates it at its first start).');
    throw e;
  });
  const base: QueueData = { spool: dir, relayRunning: relayPid !== undefined };
  if (sub === 'list') {
    const messages = await listMessages(spool, relayPid !== undefined);
    return { checks: [], data: { ...base, messages } };
  }
  if (sub === 'show') {
    const message = await showMessage(spool, args[0]!);
    if (!message) return { checks: [{ id: 'queue:show', status: 'fail', summary: `no message ${args[0]} in ${dir}` }], data: base };
    return { checks: [], data: { ...base, message } };
  }
  const result = await mutate(sub, spool, args, opts, relayPid);
  return { checks: resultChecks(sub, result), data: { ...base, result } };
}

async function mutate(sub: string, spool: Spool, args: string[], opts: Record<string, unknown>, relayPid?: number): Promise<OpResult> {
  const client = opts.client as string | undefined;
  if (client !== undefined && !(await import('../../core/address.js')).parseAddress(client)) throw new UsageError(`--client ${client}: not an IP address`);
  if (client !== undefined && args.length) throw new UsageError(`give either ids or --client, not both`);
  switch (sub) {
    case 'flush':
      return flushMessages(spool, args.length ? args : undefined, relayPid);
    case 'delete': {
      if (opts.all && args.length) throw new UsageError('give either ids or --all, not both');
      if (!opts.all && !args.length) throw new UsageError('name the messages to delete, or use --all', 'omr queue list shows the ids.');
      const ids = opts.all ? (await listMessages(spool, relayPid !== undefined)).map((m) => m.id) : args;
      return deleteMessages(spool, ids, relayPid);
    }
    case 'hold': {
      const ids = client ? await idsByClient(spool, client, ['incoming', 'deferred', 'active']) : args;
      if (!ids.length && !client) throw new UsageError('name the messages to hold, or use --client IP');
      return holdMessages(spool, ids, relayPid);
    }
    case 'release': {
      const ids = client ? await idsByClient(spool, client, ['hold']) : args;
      if (!ids.length && !client) throw new UsageError('name the messages to release, or use --client IP');
      return releaseMessages(spool, ids, relayPid);
    }
  }
  throw new UsageError(`unknown queue subcommand ${sub}`);
}

function resultChecks(sub: string, r: OpResult): Check[] {
  const verb: Record<string, string> = { flush: 'due now', delete: 'deleted', hold: 'held', release: 'released' };
  const checks: Check[] = [{ id: `queue:${sub}`, status: 'pass', summary: `${r.done.length} message(s) ${verb[sub]}`, detail: { ids: r.done } }];
  if (r.requested.length)
    checks.push({ id: `queue:${sub}:in-flight`, status: 'pass', summary: `${r.requested.length} message(s) being delivered right now: the relay applies it after this attempt`, detail: { ids: r.requested } });
  if (r.notFound.length)
    checks.push({ id: `queue:${sub}:not-found`, status: 'warn', summary: `${r.notFound.length} id(s) not found${sub === 'release' ? ' or not held' : ''}: ${r.notFound.slice(0, 5).join(', ')}`, detail: { ids: r.notFound } });
  return checks;
}
