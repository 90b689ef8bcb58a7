// Reads the list index back (the CLI, and the compaction): the newest entry per listed id.
// Built for 100,000 entries well within a second on a busy 2-core VM, where touching fresh
// memory is what costs most: the segments are scanned backwards through one reused buffer (no
// map of the whole index: the first entry met per id is its newest), and the JSON text of an
// entry is read again and decoded only when it is written out (young, short-lived strings
// instead of 60 MB kept alive). Segment files stay open meanwhile, so a compaction that
// deletes them cannot pull the text away.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { QUEUE_STATES, type QueueState } from '../types.js';
import { CLEAN_MARKER, indexDir, listSegments, segmentName } from './format.js';

/**
 * The segments can be trusted while a relay runs on the spool (it dropped anything a crash could
 * have left stale when it started) or after a clean stop (the marker).
 */
export function indexTrusted(spoolRoot: string, relayRunning: boolean): boolean {
  return listSegments(indexDir(spoolRoot)).length > 0 && (relayRunning || existsSync(join(indexDir(spoolRoot), CLEAN_MARKER)));
}

/** Per listed id while collecting: its state (not resolved yet), or what became of it. */
export type Slot = QueueState | typeof DONE | typeof FILE;
/** Listed from the index. */
export const DONE = 0;
/** The newest entry is unusable: read the record's file. */
export const FILE = 1;

const SCAN_CHUNK = 4 * 1024 * 1024;
const WINDOW = 128 * 1024;
const WINDOWS = 8;
const NL = 10;
const TAB = 9;

export interface CollectOptions {
  /** The next attempt of a record in deferred/ whose entry lacks it (moved there by rename); without it: FILE. */
  unknownDue?: (id: string) => number | undefined;
  /** Also decode `due` and `recNext` for every hit (for a snapshot). */
  full?: boolean;
}

/** Where an entry's JSON text is: built (a record that moved) or in a segment. */
export type JsonRef = string | { seg: number; off: number; len: number };

/**
 * One listed id resolved from its newest entry: the listing's JSON text for the record in
 * `state` is `json` when it had to be built (the record moved), else bytes [off, off+len) of
 * segment `seg`. `due` and `recNext` (the record's own nextAttemptAt as JSON) only with
 * CollectOptions.full. Positional, not an object: called 100,000 times.
 */
export type OnHit = (id: string, state: QueueState, createdAt: string, json: string | undefined, seg: number, off: number, len: number, due?: number, recNext?: string) => void;

interface Segment {
  fd: number;
  /** Bytes up to the end of the last complete line (a torn last line is ignored). */
  size: number;
}

interface Window {
  seg: number;
  start: number;
  end: number;
  buf: Buffer;
}

const closer = new FinalizationRegistry<number[]>((fds) => fds.forEach((fd) => closeQuietly(fd)));

export class ListIndex {
  private readonly windows: Window[] = [];
  private hits = 0;
  private misses = 0;
  private closed = false;
  /** Listed ids not resolved yet during collect. */
  private pending = 0;

  private constructor(private readonly segs: Segment[]) {
    closer.register(this, segs.map((s) => s.fd), this);
  }

  /** Opens segments (ascending, optionally only up to `upTo`). */
  static load(spoolRoot: string, upTo = Infinity): ListIndex {
    const dir = indexDir(spoolRoot);
    const segs: Segment[] = [];
    for (const seq of listSegments(dir)) {
      if (seq > upTo) break;
      let fd: number;
      try {
        fd = openSync(join(dir, segmentName(seq)), 'r');
      } catch {
        continue; // replaced by a compaction meanwhile: its snapshot (opened later) has the entries
      }
      segs.push({ fd, size: completeLines(fd, fstatSync(fd).size) });
    }
    return new ListIndex(segs);
  }

  /** Closes the segment files (also done when the index is garbage collected). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closer.unregister(this);
    for (const s of this.segs) closeQuietly(s.fd);
  }

  /** The JSON text of a hit. */
  text(ref: JsonRef): string {
    if (typeof ref === 'string') return ref;
    const { seg, off, len } = ref;
    for (const w of this.windows) {
      if (w.seg === seg && off >= w.start && off + len <= w.end) {
        this.hits++;
        return latin1(w.buf, off - w.start, off - w.start + len);
      }
    }
    this.misses++;
    // Read in windows while the output walks the segments in order; exactly when it does not.
    if (len > WINDOW || (this.misses > 64 && this.hits < this.misses * 4)) {
      const b = Buffer.allocUnsafe(len);
      readSync(this.segs[seg]!.fd, b, 0, len, off);
      return latin1(b, 0, len);
    }
    const w = this.windows.length < WINDOWS ? { seg, start: 0, end: 0, buf: Buffer.allocUnsafe(WINDOW) } : this.windows.shift()!;
    this.windows.push(w);
    w.seg = seg;
    w.start = off;
    w.end = off + readSync(this.segs[seg]!.fd, w.buf, 0, WINDOW, off);
    return latin1(w.buf, 0, len);
  }

  /**
   * Resolves the listed ids (`where`: id -> its state) from the newest entry of each, walking
   * the segments backwards. Each id found gets DONE and a `hit`, an id whose newest entry is
   * unusable gets FILE.
   */
  collect(where: Map<string, Slot>, hit: OnHit, opts: CollectOptions = {}): void {
    const dues = new Map<string, number>();
    let buf = Buffer.allocUnsafe(SCAN_CHUNK);
    // Every slot is unresolved at first; older entries need no reading once none is left.
    this.pending = where.size;
    for (let s = this.segs.length - 1; s >= 0 && this.pending > 0; s--) {
      let end = this.segs[s]!.size;
      while (end > 0 && this.pending > 0) {
        const start = Math.max(0, end - buf.length);
        const n = readSync(this.segs[s]!.fd, buf, 0, end - start, start);
        if (n !== end - start) break; // shrunk: cannot happen to a segment; be safe
        // The chunk's first line may begin in the previous chunk: it is read with that one.
        const first = start === 0 ? 0 : buf.indexOf(NL) + 1;
        if (first === 0 && start > 0) {
          buf = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
          continue;
        }
        this.scanLines(buf, first, n, s, start, where, dues, hit, opts);
        end = start + first;
      }
    }
  }

  /** The lines in buf[from, to) (each ending with a newline), newest first. */
  private scanLines(buf: Buffer, from: number, to: number, seg: number, base: number, where: Map<string, Slot>, dues: Map<string, number>, hit: OnHit, opts: CollectOptions): void {
    let end = to - 1;
    while (end >= from) {
      const start = end > from ? buf.lastIndexOf(NL, end - 1) + 1 : from;
      const lineStart = start < from ? from : start;
      const tab = buf.indexOf(TAB, lineStart);
      if (tab !== -1 && tab < end) {
        const id = latin1(buf, lineStart + 1, tab);
        const state = where.get(id);
        if (typeof state === 'string') {
          const kind = buf[lineStart];
          if (kind === 68 /* D */) {
            const d = Number(latin1(buf, tab + 1, end));
            if (!dues.has(id) && Number.isFinite(d)) dues.set(id, d);
          } else if (kind === 82 /* R */) {
            const ok = resolve(buf, id, state, tab, end, dues.get(id), opts, seg, base, hit);
            where.set(id, ok ? DONE : FILE);
            this.pending--;
          }
        }
      }
      end = lineStart - 1;
    }
  }
}

/**
 * One R line (tab: after its id, end: its newline) for a record now in `state`; `newerDue`:
 * from a D line after it. Calls `hit` and returns true, or false for an unusable entry.
 */
function resolve(b: Buffer, id: string, state: QueueState, tab: number, end: number, newerDue: number | undefined, opts: CollectOptions, seg: number, base: number, hit: OnHit): boolean {
  // Fields after the id: state, due, createdAt, recNext, k, k2, JSON.
  const t1 = b.indexOf(TAB, tab + 1);
  const t2 = t1 === -1 ? -1 : b.indexOf(TAB, t1 + 1);
  const t3 = t2 === -1 ? -1 : b.indexOf(TAB, t2 + 1);
  const t4 = t3 === -1 ? -1 : b.indexOf(TAB, t3 + 1);
  const t5 = t4 === -1 ? -1 : b.indexOf(TAB, t4 + 1);
  const t6 = t5 === -1 ? -1 : b.indexOf(TAB, t5 + 1);
  if (t6 === -1 || t6 > end) return false;
  const createdAt = latin1(b, t2 + 1, t3);
  const json = t6 + 1;
  // The states differ in their first letter: same letter and length = same state.
  const sameState = t1 - tab - 1 === state.length && b[tab + 1] === state.charCodeAt(0);
  const hasDue = t2 > t1 + 1;
  // The usual case: still where it was written (and, in deferred/, due as written): the text as is.
  if (sameState && (state !== 'deferred' || (newerDue === undefined && hasDue))) {
    if (!opts.full) hit(id, state, createdAt, undefined, seg, base + json, end - json);
    else hit(id, state, createdAt, undefined, seg, base + json, end - json, hasDue ? Number(latin1(b, t1 + 1, t2)) : undefined, latin1(b, t3 + 1, t4));
    return true;
  }
  const stored = latin1(b, tab + 1, t1);
  if (!(QUEUE_STATES as readonly string[]).includes(stored)) return false;
  let next: string;
  let due: number | undefined;
  if (state === 'hold') next = 'null';
  else if (state === 'deferred') {
    due = newerDue ?? (hasDue ? Number(latin1(b, t1 + 1, t2)) : opts.unknownDue?.(id));
    if (due === undefined || !Number.isFinite(due)) return false;
    // As toMessage: in deferred/ the file's mtime (kept in the index as `due`) is the next attempt.
    next = `"${new Date(Math.max(due, Date.parse(createdAt))).toISOString()}"`;
  } else next = latin1(b, t3 + 1, t4);
  const k = json + Number(latin1(b, t4 + 1, t5));
  const k2 = json + Number(latin1(b, t5 + 1, t6));
  const stateEnd = json + 18 + id.length + stored.length;
  if (!(k > stateEnd && k2 >= k && k2 < end)) return false;
  const text = `{"id":"${id}","state":"${state}${latin1(b, stateEnd, k)}${next}${latin1(b, k2, end)}`;
  hit(id, state, createdAt, text, seg, 0, 0, due, opts.full ? latin1(b, t3 + 1, t4) : undefined);
  return true;
}

/** Buffer#latin1Slice: Buffer#toString('latin1', ...) without the encoding lookup (hot path). */
function latin1(b: Buffer, start: number, end: number): string {
  return (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);
}

/** The size up to the last newline (a torn last line, a write in progress, is left out). */
function completeLines(fd: number, size: number): number {
  const tail = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - tail.length);
    const n = readSync(fd, tail, 0, end - start, start);
    const nl = tail.lastIndexOf(NL, n - 1);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
