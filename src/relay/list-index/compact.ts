// Compaction of the list index: one snapshot segment with an entry for every record now in a
// state directory, replacing the sealed segments it was built from. Entries come from those
// segments; a record they lack (new spool, or an index dropped after a crash) is read from its
// file. Runs in a child process (compact-main.ts) so the relay's heap and event loop are spared.
import { closeSync, mkdirSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { QUEUE_STATES, type QueueRecord, type QueueState } from '../types.js';
import { recordLine } from './entry.js';
import { indexable, indexDir, listSegments, segmentName } from './format.js';
import { DONE, FILE, ListIndex, type Slot } from './read.js';

const NEXT = ',"nextAttemptAt":';

export interface SnapshotReport {
  entries: number;
  /** Records read from their files (no usable entry). */
  fromFiles: number;
  bytes: number;
}

/**
 * Writes segment `target` from segments <= `upTo` and the record files, then deletes those
 * segments. Safe while the relay appends to segments > target: those are read after the
 * snapshot and win, and a file read here is never older than an entry appended before it.
 */
export function writeSnapshot(spoolRoot: string, upTo: number, target: number): SnapshotReport {
  const dir = indexDir(spoolRoot);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const index = ListIndex.load(spoolRoot, upTo);
  const report: SnapshotReport = { entries: 0, fromFiles: 0, bytes: 0 };
  const tmp = join(dir, `${segmentName(target)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    // Oldest first: `queue list` then walks the index in nearly sorted order.
    const lines: Array<{ key: string; line: string }> = [];
    const where = new Map<string, Slot>();
    for (const state of QUEUE_STATES) for (const id of idsIn(spoolRoot, state)) if (indexable(id) && !where.has(id)) where.set(id, state);
    index.collect(
      where,
      (id, state, createdAt, built, seg, off, len, due, recNext) => {
        const json = built ?? index.text({ seg, off, len });
        const at = json.indexOf(NEXT) + NEXT.length;
        const k2 = json.indexOf(',"lastReply":', at);
        const line = `R${id}\t${state}\t${due ?? ''}\t${createdAt}\t${recNext}\t${at}\t${k2}\t${json}\n`;
        lines.push({ key: `${createdAt}\t${id}`, line });
      },
      // Moved into deferred/ by rename: the entry has no next attempt yet, the file's mtime is it.
      { unknownDue: (id) => mtimeOf(spoolRoot, 'deferred', id), full: true },
    );
    for (const [id, slot] of where) {
      if (slot === DONE) continue;
      const state = slot === FILE ? locate(spoolRoot, id) : slot;
      const f = state && readRecordFile(spoolRoot, state, id);
      if (!state || !f) continue;
      report.fromFiles++;
      lines.push({ key: `${String(f.rec.createdAt)}\t${id}`, line: recordLine(f.rec, state, state === 'deferred' ? f.mtimeMs : undefined) });
    }
    report.entries = lines.length;
    lines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (let i = 0; i < lines.length; i += 10_000) {
      report.bytes += writeSync(fd, lines.slice(i, i + 10_000).map((l) => l.line).join(''));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    index.close();
  }
  renameSync(tmp, join(dir, segmentName(target)));
  for (const seq of listSegments(dir)) if (seq <= upTo) unlinkSync(join(dir, segmentName(seq)));
  return report;
}

/** The state directory a record is in now (FILE: where.get lost it to the unusable entry). */
function locate(root: string, id: string): QueueState | undefined {
  return QUEUE_STATES.find((s) => mtimeOf(root, s, id) !== undefined);
}

function idsIn(root: string, state: QueueState): string[] {
  try {
    return readdirSync(join(root, state)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  } catch {
    return [];
  }
}

/** One record and its mtime; undefined when gone or malformed (it is then simply not indexed). */
function readRecordFile(root: string, state: QueueState, id: string): { rec: QueueRecord; mtimeMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(join(root, state, `${id}.json`), 'r');
  } catch {
    return undefined;
  }
  try {
    const mtimeMs = fstatSync(fd).mtimeMs;
    const rec = JSON.parse(readFileSync(fd, 'utf8')) as QueueRecord;
    return rec.v === 1 && rec.id === id && Array.isArray(rec.recipients) ? { rec, mtimeMs } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function mtimeOf(root: string, state: QueueState, id: string): number | undefined {
  try {
    return statSync(join(root, state, `${id}.json`)).mtimeMs;
  } catch {
    return undefined;
  }
}
