// Builds a relay spool with many queue records directly (writeFileSync, no relay, no fsync):
// tens of thousands in a second or two, for `omr queue list` tests and measurements.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QueueRecord, QueueState } from '../../src/relay/types.js';

export interface FilledRecord {
  record: QueueRecord;
  state: QueueState;
  /** mtime set on deferred records (their next attempt), epoch ms. */
  dueMs?: number;
}

const STATES: QueueState[] = ['incoming', 'deferred', 'deferred', 'hold', 'active'];

/** Ids in the relay's format (time base36, sequence, random), ascending with `i`. */
export function fakeId(i: number, t0 = 1_700_000_000_000): string {
  const t = (t0 + Math.floor(i / 1296)).toString(36).toUpperCase().padStart(9, '0');
  const s = (i % 1296).toString(36).toUpperCase().padStart(2, '0');
  return `${t}${s}${((i * 2654435761) >>> 8).toString(16).toUpperCase().padStart(6, '0').slice(-6)}`;
}

/** One record as the relay writes it after a failed attempt (or fresh for incoming). */
export function fakeRecord(i: number, state: QueueState, t0 = 1_700_000_000_000): QueueRecord {
  const created = new Date(t0 + i * 10).toISOString();
  const tried = state !== 'incoming';
  const reply = tried ? `451 4.4.1 connect ECONNREFUSED 127.0.0.1:${40000 + (i % 97)}` : undefined;
  const nrcpt = 1 + (i % 3);
  const rec: QueueRecord = {
    v: 1,
    id: fakeId(i, t0),
    sender: i % 50 === 0 ? '' : `user${i % 40}@office.example`,
    recipients: Array.from({ length: nrcpt }, (_, k) => ({
      address: `rcpt${i}-${k}@dest.example`,
      status: tried ? (k === 1 ? 'sent' : 'deferred') : 'pending',
      ...(tried ? { lastReply: k === 1 ? '250 2.0.0 ok' : reply } : {}),
    })),
    size: 1200 + (i % 500),
    createdAt: created,
    attempts: tried ? 1 + (i % 4) : 0,
    nextAttemptAt: new Date(t0 + i * 10 + 60_000).toISOString(),
    client: `192.168.1.${i % 200}`,
    helo: 'pc.office.example',
    bodyHash: 'ab'.repeat(8),
  };
  if (reply) rec.lastReply = reply;
  return rec;
}

/** Writes `count` records spread over the states into `root` (a spool directory). */
export function fillSpool(root: string, count: number, states: QueueState[] = STATES, t0 = 1_700_000_000_000): FilledRecord[] {
  for (const d of ['tmp', 'data', 'control', 'incoming', 'active', 'deferred', 'hold', 'corrupt']) mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
  const out: FilledRecord[] = [];
  for (let i = 0; i < count; i++) {
    const state = states[i % states.length]!;
    const record = fakeRecord(i, state, t0);
    const path = join(root, state, `${record.id}.json`);
    writeFileSync(path, JSON.stringify(record) + '\n');
    const item: FilledRecord = { record, state };
    if (state === 'deferred') {
      item.dueMs = t0 + 3_600_000 + i * 1000;
      utimesSync(path, item.dueMs / 1000, item.dueMs / 1000);
    }
    out.push(item);
  }
  return out;
}
