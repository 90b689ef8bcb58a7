// omr relay clients
import type { CommandContext, RenderStyle } from '../../cli/spec.js';
import type { CommandResult, Envelope } from '../../core/result.js';
import { readClients, type ClientRanking } from '../../ops/status-read.js';
import { ago, relaySettings } from './common.js';

type Data = ClientRanking & { limit: number };

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<CommandResult<Data>> {
  const cfg = relaySettings(ctx, opts);
  const r = await readClients(cfg.spool);
  const top = r.clients[0];
  const summary = top
    ? `${r.clients.length} client(s) in the last day; top talker ${top.client}: ${top.hour.messages} message(s) in the last hour, ${top.day.messages} in the last day`
    : 'no client has sent mail in the last day';
  return { checks: [{ id: 'clients', status: 'pass', summary }], data: { ...r, limit: Number(opts.limit ?? 20) } };
}

function bytes(n: number): string {
  return n < 1024 ? `${n}B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(0)}K` : `${(n / 1024 ** 2).toFixed(1)}M`;
}

export function render(env: Envelope<Data>, s: RenderStyle): string[] {
  const rows = env.data.clients.slice(0, env.data.limit);
  if (!rows.length) return ['No LAN client has sent mail through this relay in the last day.'];
  const head = ['CLIENT', 'MSGS/1H', 'RCPTS/1H', 'DOMAINS/1H', 'REFUSED/1H', 'MSGS/1D', 'RCPTS/1D', 'SENDERS/1D', 'BYTES/1D', 'LAST SEEN'];
  const table = rows.map((r) => [r.client, r.hour.messages, r.hour.recipients, r.hour.domains, r.hour.rejects, r.day.messages, r.day.recipients, r.day.senders, bytes(r.day.bytes), ago(r.lastSeen)].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  const more = env.data.clients.length > rows.length ? [s.dim(`(${env.data.clients.length - rows.length} more; --limit or --json to see them)`)] : [];
  return [s.bold(fmt(head)), ...table.map(fmt), ...more, s.dim(`source: ${env.data.source === 'relay' ? 'running relay' : 'spool snapshot (relay not answering)'}`)];
}
