// Appending to the list index (format.ts). The relay's writer batches lines (whatever arrived
// while the previous write was in progress goes out in one write, never fsync'd: it is a cache)
// and compacts the index in a child process when it starts and when it has grown well past the
// last snapshot. `omr queue` appends synchronously while it changes a spool (flush, journal drain).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, unlinkSync } from 'node:fs';
import { mkdir, open, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/logger.js';
import { QUEUE_STATES, type QueueRecord, type QueueState } from '../types.js';
import { recordLine } from './entry.js';
import { CLEAN_MARKER, dueLine, indexable, indexDir, listSegments, segmentName } from './format.js';

/** Told about every record written into a queue directory, and every next-attempt change. */
export interface ListIndexSink {
  /** `dueMs`: the file's mtime, for a record written into deferred/. */
  record(rec: QueueRecord, state: QueueState, dueMs?: number): void;
  due(id: string, dueMs: number): void;
}

const COMPACT_MAIN = fileURLToPath(new URL('./compact-main.js', import.meta.url));

export interface RelayIndexOptions {
  /** Compact once this many bytes were appended since the last snapshot (and as many as it has). */
  compactMinBytes?: number;
  /** Wait before reading sealed segments (lets a CLI append that chose one just before land). */
  compactDelayMs?: number;
}

export class RelayListIndex implements ListIndexSink {
  private fh?: FileHandle;
  private pending: string[] = [];
  private writing?: Promise<void>;
  private disabled = false;
  private sinceSnapshot = 0;
  private snapshotBytes = 0;
  private child?: { proc: ChildProcess; exited: Promise<void> };
  /** Completed compactions (for tests). */
  compactions = 0;

  private constructor(readonly spoolRoot: string, readonly dir: string, private seq: number, private readonly logger: Logger, private readonly opts: Required<RelayIndexOptions>) {}

  /**
   * Opens the index for a relay starting on `spoolRoot`. Without the clean-stop marker the old
   * segments may be stale (a crash lost appends) and are dropped: until the snapshot taken now
   * is in place, `queue list` reads the records the index lacks from their files.
   */
  static async open(spoolRoot: string, logger: Logger, options: RelayIndexOptions = {}): Promise<RelayListIndex> {
    const dir = indexDir(spoolRoot);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const n of readdirSync(dir)) if (n.endsWith('.tmp')) unlinkSync(join(dir, n));
    const trusted = existsSync(join(dir, CLEAN_MARKER));
    if (trusted) {
      // From now on a crash could lose appends: the marker must be gone (durably) first.
      await unlink(join(dir, CLEAN_MARKER));
      await syncDir(dir);
    }
    const segs = listSegments(dir);
    let bytes = 0;
    for (const s of segs) {
      if (!trusted) unlinkSync(join(dir, segmentName(s)));
      else bytes += (await stat(join(dir, segmentName(s)))).size;
    }
    const last = segs.at(-1) ?? 0;
    const opts = { compactMinBytes: options.compactMinBytes ?? 16 * 1024 * 1024, compactDelayMs: options.compactDelayMs ?? 2000 };
    const index = new RelayListIndex(spoolRoot, dir, last + 2, logger, opts);
    index.fh = await open(join(dir, segmentName(last + 2)), 'a', 0o600);
    index.sinceSnapshot = bytes;
    // A snapshot now: fills in every record (an untrusted or new index), merges old segments.
    const merge = trusted && (segs.length > 8 || bytes > opts.compactMinBytes / 4);
    if (merge || (!trusted && hasRecords(spoolRoot))) index.compact(last, last + 1, 0);
    return index;
  }

  record(rec: QueueRecord, state: QueueState, dueMs?: number): void {
    if (!this.disabled && indexable(rec.id)) this.push(recordLine(rec, state, dueMs));
  }

  due(id: string, dueMs: number): void {
    if (!this.disabled && indexable(id)) this.push(dueLine(id, dueMs));
  }

  private push(line: string): void {
    this.pending.push(line);
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
  }

  private async drain(): Promise<void> {
    while (this.pending.length && !this.disabled) {
      const text = this.pending.join('');
      this.pending = [];
      try {
        await this.fh!.write(text);
      } catch (e) {
        this.fail(e);
        return;
      }
      this.sinceSnapshot += text.length;
      if (!this.child && this.sinceSnapshot > Math.max(this.opts.compactMinBytes, this.snapshotBytes)) await this.seal();
    }
  }

  /** New appends go to a fresh segment; the sealed ones are compacted into the number between. */
  private async seal(): Promise<void> {
    const sealed = this.seq;
    try {
      const fh = await open(join(this.dir, segmentName(sealed + 2)), 'a', 0o600);
      await this.fh!.close();
      this.fh = fh;
      this.seq = sealed + 2;
    } catch (e) {
      this.fail(e);
      return;
    }
    this.sinceSnapshot = 0;
    this.compact(sealed, sealed + 1, this.opts.compactDelayMs);
  }

  private compact(upTo: number, target: number, delayMs: number): void {
    const proc = spawn(process.execPath, [COMPACT_MAIN, this.spoolRoot, String(upTo), String(target), String(delayMs)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => void (err.length < 2000 && (err += d.toString())));
    const exited = new Promise<void>((resolve) => {
      proc.once('error', (e) => {
        err ||= e.message;
        resolve();
      });
      proc.once('exit', (code, sig) => {
        if (code === 0) {
          this.compactions++;
          void stat(join(this.dir, segmentName(target))).then((s) => (this.snapshotBytes = s.size), () => undefined);
        } else if (!sig) this.logger.warn('queue list index: compaction failed; it is tried again later', { exit: code, error: err.trim().slice(0, 300) });
        resolve();
      });
    }).finally(() => (this.child = undefined));
    this.child = { proc, exited };
  }

  /** An append failed: the index can no longer be trusted; drop it (queue list reads the files). */
  private fail(e: unknown): void {
    if (this.disabled) return;
    this.disabled = true;
    this.pending = [];
    this.logger.warn('queue list index disabled until the next start (an append failed)', { error: e });
    for (const s of listSegments(this.dir)) {
      try {
        unlinkSync(join(this.dir, segmentName(s)));
      } catch {
        /* gone already */
      }
    }
  }

  /** Waits for appends and a running compaction (bounded), then marks the index complete. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    const child = this.child;
    if (child) {
      let t: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (t = setTimeout(() => r(true), 5000)));
      if (await Promise.race([child.exited.then(() => false), late])) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
      clearTimeout(t);
    }
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return;
    try {
      if (!this.disabled) await fh.datasync();
    } finally {
      await fh.close();
    }
    // Written only once everything appended is on disk: its presence means "complete and current".
    if (!this.disabled) await writeFile(join(this.dir, CLEAN_MARKER), '', { mode: 0o600 });
    this.disabled = true;
  }
}

/** `omr queue`'s appends (no relay, or a relay running): to the newest segment, if any. */
export class CliListIndex implements ListIndexSink {
  constructor(readonly spoolRoot: string) {}

  record(rec: QueueRecord, state: QueueState, dueMs?: number): void {
    if (indexable(rec.id)) this.append(recordLine(rec, state, dueMs));
  }

  due(id: string, dueMs: number): void {
    if (indexable(id)) this.append(dueLine(id, dueMs));
  }

  private chosen?: { seq: number | undefined; at: number };

  private append(line: string): void {
    const dir = indexDir(this.spoolRoot);
    // The newest segment, looked up again after 200 ms (a relay seals one at most every few
    // seconds and compacts it 2 s later): a flush of 100,000 ids is not 100,000 readdirs.
    const now = Date.now();
    if (!this.chosen || now - this.chosen.at > 200) this.chosen = { seq: listSegments(dir).at(-1), at: now };
    const last = this.chosen.seq;
    if (last === undefined) return;
    try {
      appendFileSync(join(dir, segmentName(last)), line, { mode: 0o600 });
    } catch {
      // The index would now be stale for this record: no longer complete.
      try {
        unlinkSync(join(dir, CLEAN_MARKER));
      } catch {
        /* not there */
      }
    }
  }
}

function hasRecords(spoolRoot: string): boolean {
  for (const s of QUEUE_STATES) {
    try {
      if (readdirSync(join(spoolRoot, s)).some((n) => n.endsWith('.json'))) return true;
    } catch {
      /* no such directory */
    }
  }
  return false;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
