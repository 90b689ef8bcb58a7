// The write-ahead journal for fresh messages: every small message the relay accepts is appended
// to one shared segment file, and one fdatasync covers every message appended since the last one
// (group commit across all sessions: one write and one sync per batch, instead of two files,
// four fsyncs and a rename per message). A 250 is sent only after the fdatasync that covers the
// message has returned.
//
// A message leaves the journal by a done entry: delivered, deleted, or moved into the
// per-message spool files (deferred/hold) first. Done entries are not synced: a power cut can at
// worst resend a delivered message, as with Postfix after a delivery. Segments are deleted
// oldest first once none of their messages is live: a done entry (always written to the newest
// segment) is therefore never deleted before the message it refers to.
import { mkdirSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueRecord } from '../types.js';
import { encodeEntry, ENTRY_DONE, ENTRY_MESSAGE, HEADER_BYTES, segmentName } from './format.js';
import { scanJournal, type JournalMessage, type JournalRef } from './scan.js';

interface Segment {
  seq: number;
  fh: FileHandle;
  size: number;
  /** Messages in this segment not yet done. */
  live: number;
}

interface Pending {
  bufs: Buffer[];
  bytes: number;
  message?: { recordLen: number; bodyLen: number; resolve(ref: JournalRef): void; reject(e: unknown): void };
}

export interface JournalOptions {
  /** Start a new segment once the current one is this large. */
  maxSegmentBytes?: number;
  /** Makes a new segment's directory entry durable (the spool's shared directory fsync). */
  syncDir(dir: string): Promise<void>;
  /** Messages found in the journal that are already in the per-message spool (moved there before a crash). */
  alreadySpooled?(id: string): boolean;
}

export class Journal {
  private readonly segs = new Map<number, Segment>();
  private current?: Segment;
  private nextSeq = 1;
  private queue: Pending[] = [];
  private writing?: Promise<void>;
  /** fdatasync calls (for tests and the benchmark). */
  syncs = 0;

  private constructor(readonly dir: string, private readonly opts: JournalOptions) {}

  /** Opens the journal in `dir`, returning the messages still live in it (oldest first). */
  static async open(dir: string, opts: JournalOptions): Promise<{ journal: Journal; live: JournalMessage[] }> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const scan = scanJournal(dir);
    const j = new Journal(dir, opts);
    const live = scan.live.filter((m) => !opts.alreadySpooled?.(m.record.id));
    const counts = new Map<number, number>();
    for (const m of live) counts.set(m.seg, (counts.get(m.seg) ?? 0) + 1);
    for (const seq of scan.segments) {
      // Old segments are only read from now on: new entries always go to a fresh segment,
      // never after a possibly torn tail.
      const fh = await open(join(dir, segmentName(seq)), 'r');
      j.segs.set(seq, { seq, fh, size: (await fh.stat()).size, live: counts.get(seq) ?? 0 });
      j.nextSeq = seq + 1;
    }
    j.retire();
    return { journal: j, live };
  }

  /** Appends a message; resolves once it is on disk (fdatasync'd) with where it is. */
  append(record: QueueRecord, body: readonly Buffer[]): Promise<JournalRef> {
    const rec = Buffer.from(JSON.stringify(record), 'utf8');
    const { bufs, bytes } = encodeEntry(ENTRY_MESSAGE, rec, body);
    return new Promise((resolve, reject) => {
      this.queue.push({ bufs, bytes, message: { recordLen: rec.length, bodyLen: bytes - HEADER_BYTES - rec.length, resolve, reject } });
      this.kick();
    });
  }

  /** The message has left the journal (delivered, deleted, or moved to the spool files). */
  markDone(id: string, ref: JournalRef): void {
    const seg = this.segs.get(ref.seg);
    if (!seg) return;
    seg.live--;
    this.retire();
    if (!this.segs.has(ref.seg)) return; // its segment is gone: nothing left to mark
    const { bufs, bytes } = encodeEntry(ENTRY_DONE, Buffer.from(id, 'latin1'), []);
    this.queue.push({ bufs, bytes });
    this.kick();
  }

  /** Record and body of a journaled message (one read). */
  async read(ref: JournalRef): Promise<{ record: QueueRecord; body: Buffer }> {
    const seg = this.segs.get(ref.seg);
    if (!seg) throw new Error(`journal segment ${ref.seg} is gone`);
    const len = ref.recordLen + ref.bodyLen;
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await seg.fh.read(buf, 0, len, ref.offset + HEADER_BYTES);
    if (bytesRead !== len) throw new Error(`journal entry at ${ref.seg}:${ref.offset} is short`);
    return { record: JSON.parse(buf.toString('utf8', 0, ref.recordLen)) as QueueRecord, body: buf.subarray(ref.recordLen) };
  }

  /** Messages live in the journal (acknowledged, not yet done). */
  get live(): number {
    let n = 0;
    for (const s of this.segs.values()) n += s.live;
    return n;
  }

  get segments(): number {
    return this.segs.size;
  }

  /** Waits for pending writes and syncs, then closes every segment (live messages stay for the next start). */
  async close(): Promise<void> {
    while (this.writing || this.syncing) await Promise.all([this.writing, this.syncing]);
    for (const s of this.segs.values()) await s.fh.close().catch(() => undefined);
    this.segs.clear();
    this.current = undefined;
  }

  private kick(): void {
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      if (this.queue.length) this.kick();
    });
  }

  /**
   * Writes whatever is queued as one writev, again and again until the queue is empty. Writes
   * do not wait for syncs: a message joins the next fdatasync that starts after its write, and
   * syncs run back to back (group commit), so the disk is kept busy with both.
   */
  private async drain(): Promise<void> {
    while (this.queue.length) {
      let batch: Pending[] = [];
      try {
        const seg = !this.current || this.current.size >= (this.opts.maxSegmentBytes ?? 8 * 1024 * 1024) ? await this.rotate() : this.current;
        batch = this.queue.splice(0);
        const written = await this.writeBatch(seg, batch);
        if (written.length) this.syncAfter(seg, written);
      } catch (e) {
        // A failed write can leave a partial entry: later entries go to a new segment.
        this.current = undefined;
        for (const p of batch.length ? batch : this.queue.splice(0)) p.message?.reject(e);
      }
    }
  }

  /** One writev of the batch at the segment's end; returns the messages in it with their places. */
  private async writeBatch(seg: Segment, batch: Pending[]): Promise<Array<{ p: Pending; ref: JournalRef }>> {
    const start = seg.size;
    const bufs: Buffer[] = [];
    const written: Array<{ p: Pending; ref: JournalRef }> = [];
    let pos = start;
    for (const p of batch) {
      if (p.message) written.push({ p, ref: { seg: seg.seq, offset: pos, recordLen: p.message.recordLen, bodyLen: p.message.bodyLen } });
      pos += p.bytes;
      for (const b of p.bufs) bufs.push(b);
    }
    seg.size = pos;
    // Counted as live from now on, so the segment is not retired while they wait for the sync.
    seg.live += written.length;
    try {
      const { bytesWritten } = await seg.fh.writev(bufs, start);
      if (bytesWritten !== pos - start) throw Object.assign(new Error('short write to the journal'), { code: 'ENOSPC' });
    } catch (e) {
      seg.live -= written.length;
      throw e;
    }
    return written;
  }

  private syncWaiting: Array<{ seg: Segment; items: Array<{ p: Pending; ref: JournalRef }> }> = [];
  private syncing?: Promise<void>;

  /** Acknowledges `items` after an fdatasync of their segment that started after their write. */
  private syncAfter(seg: Segment, items: Array<{ p: Pending; ref: JournalRef }>): void {
    this.syncWaiting.push({ seg, items });
    this.kickSync();
  }

  private kickSync(): void {
    this.syncing ??= this.syncLoop().finally(() => {
      this.syncing = undefined;
      if (this.syncWaiting.length) this.kickSync();
    });
  }

  private async syncLoop(): Promise<void> {
    while (this.syncWaiting.length) {
      const groups = this.syncWaiting.splice(0);
      // Usually one segment; after a rotation the old one needs its own last sync.
      for (const seg of new Set(groups.map((g) => g.seg))) {
        const items = groups.filter((g) => g.seg === seg).flatMap((g) => g.items);
        try {
          await seg.fh.datasync();
          this.syncs++;
          for (const { p, ref } of items) p.message!.resolve(ref);
        } catch (e) {
          if (seg === this.current) this.current = undefined;
          seg.live -= items.length;
          for (const { p } of items) p.message!.reject(e);
          this.retire();
        }
      }
    }
  }

  private async rotate(): Promise<Segment> {
    const seq = this.nextSeq++;
    const fh = await open(join(this.dir, segmentName(seq)), 'wx+', 0o600);
    await this.opts.syncDir(this.dir);
    const seg: Segment = { seq, fh, size: 0, live: 0 };
    this.segs.set(seq, seg);
    this.current = seg;
    this.retire();
    return seg;
  }

  /** Deletes the oldest segments while nothing in them is live (never the one being written). */
  private retire(): void {
    for (const seg of this.segs.values()) {
      if (seg === this.current || seg.live > 0) return;
      this.segs.delete(seg.seq);
      const path = join(this.dir, segmentName(seg.seq));
      void seg.fh.close().catch(() => undefined).then(() => unlink(path)).catch(() => undefined);
    }
  }
}
