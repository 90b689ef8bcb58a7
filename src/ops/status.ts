// `omr relay status`: what the queue and the upstream look like. Queue counts always come from
// the spool directories (the truth on disk); a running relay adds its live upstream state,
// concurrency and quota meter through the control socket.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuotaUsage } from './quota.js';
import { journaledOnly } from '../relay/journal/scan.js';

export const STATUS_STATES = ['incoming', 'active', 'deferred', 'hold', 'corrupt'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

export type UpstreamState = 'ok' | 'backing-off' | 'paused' | 'stopped';

export interface UpstreamInfo {
  state: UpstreamState;
  /** Why it is backing off or paused (the smarthost reply, or the quota). */
  reason: string | null;
  /** When sending resumes, when known. */
  until: string | null;
}

export interface StatusData {
  running: boolean;
  pid: number | null;
  /** "relay": live answer through the control socket; "spool": read from disk, relay down. */
  source: 'relay' | 'spool';
  spool: string;
  queue: Record<StatusState, number> & { total: number };
  oldest: { id: string; state: StatusState; createdAt: string; ageSeconds: number } | null;
  upstream: UpstreamInfo;
  concurrency: { inUse: number; connections: number; limit: number } | null;
  quota: QuotaUsage | null;
}

async function idsIn(spoolRoot: string, state: StatusState): Promise<string[]> {
  const names = await readdir(join(spoolRoot, state)).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
}

/** Per-state counts and the oldest queued message, read from the spool directories. */
export async function readQueue(spoolRoot: string, now = Date.now(), live?: { count: number; active: number; oldestId?: string }): Promise<Pick<StatusData, 'queue' | 'oldest'>> {
  const queue = { incoming: 0, active: 0, deferred: 0, hold: 0, corrupt: 0, total: 0 };
  let oldest: StatusData['oldest'] = null;
  const seen = new Set<string>();
  for (const state of STATUS_STATES) {
    const ids = await idsIn(spoolRoot, state);
    for (const id of ids) seen.add(id);
    queue[state] = ids.length;
    if (state !== 'corrupt') queue.total += ids.length;
    if (state === 'corrupt') continue;
    // Queue ids start with the creation time, so the smallest id is the oldest in this state.
    const first = ids.sort()[0];
    if (!first) continue;
    const createdAt = await createdAtOf(join(spoolRoot, state, `${first}.json`));
    if (createdAt !== undefined && (!oldest || createdAt < Date.parse(oldest.createdAt)))
      oldest = { id: first, state, createdAt: new Date(createdAt).toISOString(), ageSeconds: Math.max(0, Math.round((now - createdAt) / 1000)) };
  }
  // Fresh messages still in the relay's journal count as incoming (the running relay says how
  // many; otherwise the segment files are read).
  const journaled = live ? undefined : journaledOnly(join(spoolRoot, 'journal'), (id) => seen.has(id));
  const count = live ? live.count : journaled!.length;
  queue.incoming += count;
  queue.total += count;
  if (live) {
    // Journal messages being delivered right now (their records are not in active/).
    queue.active += live.active;
    queue.total += live.active;
  }
  const firstId = live ? live.oldestId : journaled![0]?.record.id;
  const jt = firstId ? (live ? idTime(firstId) : Date.parse(journaled![0]!.record.createdAt)) : NaN;
  if (firstId && Number.isFinite(jt) && (!oldest || jt < Date.parse(oldest.createdAt)))
    oldest = { id: firstId, state: 'incoming', createdAt: new Date(jt).toISOString(), ageSeconds: Math.max(0, Math.round((now - jt) / 1000)) };
  return { queue, oldest };
}

/** Queue ids begin with their creation time in ms, base 36, 9 digits (Spool.newId). */
function idTime(id: string): number {
  return parseInt(id.slice(0, 9), 36);
}

async function createdAtOf(path: string): Promise<number | undefined> {
  try {
    const rec = JSON.parse(await readFile(path, 'utf8')) as { createdAt?: string };
    const t = Date.parse(rec.createdAt ?? '');
    if (Number.isFinite(t)) return t;
  } catch {
    /* moved meanwhile, or unreadable: fall back to the file time */
  }
  return (await stat(path).catch(() => undefined))?.birthtimeMs;
}

