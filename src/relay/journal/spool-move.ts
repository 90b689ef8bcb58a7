// Moving messages out of the journal into the per-message spool files (Postfix-style queue
// directories): when a message is deferred, held or parked by the running relay, and, for every
// live message, when `omr queue` changes a spool whose relay is not running.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeSynced, type Spool } from '../spool.js';
import { QUEUE_STATES, type QueueRecord, type QueueState } from '../types.js';
import { segmentName } from './format.js';
import { readJournalBody, scanJournal } from './scan.js';

/**
 * Writes body and record as spool files in `state`, durably (body fsync'd before the record
 * is renamed in). Only after this may the caller mark the journal entry done.
 */
export async function spoolFromJournal(spool: Spool, record: QueueRecord, body: Buffer, state: Exclude<QueueState, 'active'>): Promise<void> {
  // 'w': a body left by an interrupted earlier move is simply replaced.
  await writeSynced(spool.bodyPath(record.id), body, 'w');
  await spool.syncer.sync(spool.dir('data'));
  await spool.writeRecord(state, record);
}

/** Ids present in any queue directory (a journal message found there was moved before a crash). */
export async function spooledIds(spool: Spool): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const s of [...QUEUE_STATES, 'corrupt'] as const) for (const id of await spool.ids(s)) ids.add(id);
  return ids;
}

/**
 * Moves every live journal message into incoming/ and deletes the journal. Only for a spool no
 * relay is running on (the CLI owns it then). Returns how many messages were moved.
 */
export async function drainJournal(spool: Spool): Promise<number> {
  const dir = spool.dir('journal');
  const scan = scanJournal(dir);
  if (!scan.segments.length) return 0;
  const present = await spooledIds(spool);
  let moved = 0;
  for (const m of scan.live) {
    if (present.has(m.record.id)) continue;
    await spoolFromJournal(spool, m.record, readJournalBody(dir, m), 'incoming');
    moved++;
  }
  for (const seg of scan.segments) unlinkSync(join(dir, segmentName(seg)));
  return moved;
}
