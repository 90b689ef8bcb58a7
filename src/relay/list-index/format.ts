// The list index: what `omr queue list` needs of every queued record, appended by whoever writes
// a record (the relay, and `omr queue` when it changes a spool) to spool/index/NNNNNNNNNN.log, so that
// listing 100,000 messages is one sequential read instead of 100,000 file opens (issue 9).
// It is a cache: the state directories say which messages exist and where; a record the index
// has no usable entry for is read from its file. One line per event, the last one per id wins:
//   R<id>\t<state>\t<due>\t<createdAt>\t<recNext>\t<k>\t<k2>\t<json>\n
//       the record was (re)written into <state>. json: the listing's JSON for it there, byte
//       for byte what serialising the listed object gives (`queue list --json` copies it
//       instead of parsing and serialising 100,000 objects); due: the file's mtime (ms) in
//       deferred/ (its next attempt), else empty; recNext: the record's own nextAttemptAt as
//       JSON; k..k2: where json's nextAttemptAt value is, so that "state" and "nextAttemptAt"
//       can be put in when the record has moved since. `R<id>\t\n`: no usable entry (an odd
//       or non-ASCII record): its file is read.
//   D<id>\t<due>\n   the next attempt (mtime) of a deferred record was set
// Segments are read in ascending order. The relay appends to the newest, seals it from time to
// time, and a compaction writes one snapshot segment in place of the sealed ones.
import { join } from 'node:path';
import { listNumbered } from '../segments.js';

export const INDEX_DIR = 'index';
/** Present only while the segments are complete and current (written at a clean relay stop). */
export const CLEAN_MARKER = 'clean';

export function indexDir(spoolRoot: string): string {
  return join(spoolRoot, INDEX_DIR);
}

export function segmentName(seq: number): string {
  return `${String(seq).padStart(10, '0')}.log`;
}

export function segmentSeq(name: string): number | undefined {
  const m = /^(\d{10})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Segment numbers in `dir`, ascending ([] when there is no index). */
export function listSegments(dir: string): number[] {
  return listNumbered(dir, segmentSeq);
}

/** Ids are the relay's (alphanumeric); anything else is never indexed (its file is read). */
export function indexable(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

export function dueLine(id: string, dueMs: number): string {
  return `D${id}\t${dueMs}\n`;
}
