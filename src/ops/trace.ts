// `omr relay trace IP`: every message one LAN client sent, joined with what the smarthost said,
// built from the per-day event log.
import ipaddr from 'ipaddr.js';
import { readEvents, type OpsEvent } from './events.js';

export interface TraceDelivery {
  time: string;
  outcome: string;
  reply: string;
}

export interface TraceRow {
  /** Queue id ('' for a refused attempt, which never got one). */
  id: string;
  time: string;
  status: 'queued' | 'duplicate' | 'refused';
  sender: string;
  recipients: string[];
  subject?: string;
  messageId?: string;
  size?: number;
  /** For a duplicate: the queue id of the copy that is delivered. */
  duplicateOf?: string;
  /** Refusal reason (rate limit, size, smuggling, ...) and the reply the client got. */
  reason?: string;
  reply?: string;
  /** For a refusal: how many more identical refusals this line stands for. */
  repeats?: number;
  deliveries: TraceDelivery[];
  /** The last upstream reply, if any delivery was attempted. */
  upstream?: string;
}

/** Canonical text of an address ("::ffff:10.0.0.5" -> "10.0.0.5"); throws on non-addresses. */
export function normalizeIp(text: string): string {
  return ipaddr.process(text.trim()).toString();
}

function sameClient(a: string, b: string): boolean {
  try {
    return normalizeIp(a) === b;
  } catch {
    return false;
  }
}

export async function traceClient(spoolRoot: string, client: string, since: number): Promise<TraceRow[]> {
  const ip = normalizeIp(client);
  const events = await readEvents(spoolRoot, since, (e) => sameClient(e.client, ip));
  const rows: TraceRow[] = [];
  const byId = new Map<string, TraceRow>();
  for (const e of events) {
    const row = toRow(e);
    if (row) {
      rows.push(row);
      if (row.id && row.status === 'queued') byId.set(row.id, row);
    } else if (e.ev === 'delivery') {
      const r = byId.get(e.id);
      if (!r) continue;
      r.deliveries.push({ time: new Date(e.t).toISOString(), outcome: e.outcome, reply: e.reply });
      r.upstream = e.reply;
    }
  }
  return rows;
}

function toRow(e: OpsEvent): TraceRow | undefined {
  const time = new Date(e.t).toISOString();
  switch (e.ev) {
    case 'queued':
      return { id: e.id, time, status: 'queued', sender: e.sender, recipients: e.rcpts, subject: e.subject, messageId: e.msgid, size: e.size, deliveries: [] };
    case 'duplicate':
      return { id: e.id, time, status: 'duplicate', sender: e.sender, recipients: e.rcpts, subject: e.subject, messageId: e.msgid, size: e.size, duplicateOf: e.first, deliveries: [] };
    case 'reject':
      return { id: '', time, status: 'refused', sender: e.sender ?? '', recipients: e.rcpts ?? [], reason: e.reason, reply: e.reply, repeats: e.repeats, deliveries: [] };
    default:
      return undefined;
  }
}
