// The scheduler's view of deferred/, bounded like Postfix's qmgr: at most `limit` of the
// earliest-due deferred messages are kept in memory (id + due time). The rest stay only on disk,
// where a record's mtime is its next attempt, and come in by scanning the directory (opendir +
// stat in batches, yielding to the event loop) when the in-memory set runs low and something on
// disk is due. Invariant: no record outside memory is due before `diskNextDue`, and every
// in-memory entry is due no later than that, so the earliest work is always in memory.
import { statSync } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { DueHeap } from './due-heap.js';

/**
 * Deferred messages kept in memory: about 1.4 MiB of ids and due times (~145 bytes each). A
 * refill scan of deferred/ costs about 12 us of CPU per record (mostly the kernel's lookup in
 * stat), so a larger set means fewer scans while a big backlog drains: one scan per 7,500
 * messages here. (Postfix's qmgr_message_active_limit is 20,000.)
 */
export const DEFERRED_IN_MEMORY = 10_000;
/** Stats per batch of a directory scan before yielding to the event loop. */
const SCAN_BATCH = 256;
/** Refill-triggered scans at most this often (a safety net against scanning in a loop). */
const MIN_REFILL_GAP_MS = 1000;

export class DeferredIndex {
  private heap = new DueHeap();
  /** Upper bound of the latest due in memory (exact after a full-set eviction check). */
  private maxBound = -Infinity;
  /** Some deferred records exist only on disk. */
  private overflow = false;
  private diskNextDue = Infinity;
  private onDisk = 0;
  private scanning?: Promise<void>;
  private queued?: Promise<void>;
  /** While a scan runs: ids added (with due) or taken (null); the scan's view of them is stale. */
  private touched?: Map<string, number | null>;
  private lastRefill = 0;
  readonly lowWater: number;

  constructor(private readonly dir: string, readonly limit = DEFERRED_IN_MEMORY) {
    this.lowWater = Math.max(1, Math.floor(limit / 4));
  }

  /** Entries held in memory. */
  get inMemory(): number {
    return this.heap.size;
  }

  /** Records in deferred/: exact after each scan, kept up to date by add/take in between. */
  get count(): number {
    return this.onDisk;
  }

  /** True when every deferred record is in memory. */
  get complete(): boolean {
    return !this.overflow;
  }

  has(id: string): boolean {
    return this.heap.has(id);
  }

  /** A record was just written to deferred/, due at `due`. */
  add(id: string, due: number): void {
    if (!Number.isFinite(due)) due = Date.now();
    this.touched?.set(id, due);
    if (!this.heap.has(id)) this.onDisk++;
    this.place(id, due);
  }

  /** The earliest entry if due now, removed from the index (the caller claims it by rename). */
  takeDue(now: number): string | undefined {
    const top = this.heap.peek();
    if (!top || top.due > now) return undefined;
    this.heap.pop();
    this.touched?.set(top.id, null);
    this.onDisk = Math.max(0, this.onDisk - 1);
    return top.id;
  }

  /** `omr queue flush`: the given ids (or all) due now; queue-ops already set their mtimes. */
  flush(ids?: readonly string[]): void {
    const targets = ids ?? [...this.heap.entries()].map(([id]) => id);
    for (const id of targets) {
      if (this.heap.has(id)) this.heap.set(id, 0);
      else if (this.overflow) this.diskNextDue = 0;
    }
    if (!ids && this.overflow) this.diskNextDue = 0;
  }

  /** Whether a refill scan would bring in due work now. */
  wantsRefill(now: number): boolean {
    if (!this.overflow || this.scanning || this.diskNextDue > now || now - this.lastRefill < MIN_REFILL_GAP_MS) return false;
    const top = this.heap.peek();
    return this.heap.size < this.lowWater || !top || top.due > now;
  }

  /** Scan started by wantsRefill (rate-limited). */
  refill(exclude: (id: string) => boolean): Promise<void> {
    this.lastRefill = Date.now();
    return this.scan(exclude);
  }

  /**
   * Rebuilds the in-memory part from deferred/: the `limit` earliest-due records that are not
   * excluded (already in the active set). One scan at a time; a call during a scan gets one
   * more scan after it.
   */
  scan(exclude: (id: string) => boolean): Promise<void> {
    if (!this.scanning) {
      this.scanning = this.runScan(exclude).finally(() => (this.scanning = undefined));
      return this.scanning;
    }
    const again = (): Promise<void> => {
      this.queued = undefined;
      return this.scan(exclude);
    };
    this.queued ??= this.scanning.then(again, again);
    return this.queued;
  }

  private place(id: string, due: number): void {
    // With records waiting on disk, a later one stays there too (keeps the invariant above).
    const room = this.heap.size < this.limit && !(this.overflow && due > this.diskNextDue);
    if (this.heap.has(id) || room) {
      this.heap.set(id, due);
      this.maxBound = Math.max(this.maxBound, due);
      return;
    }
    this.overflow = true;
    if (this.heap.size >= this.limit && due < this.maxBound) {
      const last = this.heap.last()!;
      this.maxBound = last.due;
      if (due < last.due) {
        // Earlier than the latest in memory: that one moves out (it stays on disk).
        this.heap.delete(last.id);
        this.heap.set(id, due);
        this.diskNextDue = Math.min(this.diskNextDue, last.due);
        return;
      }
    }
    this.diskNextDue = Math.min(this.diskNextDue, due);
  }

  private async runScan(exclude: (id: string) => boolean): Promise<void> {
    const touched = new Map<string, number | null>();
    this.touched = touched;
    // Max-heap of what to keep: the latest kept on top, replaced by anything earlier.
    const keep = new DueHeap((a, b) => a > b);
    let total = 0;
    let nextDue = Infinity;
    let batch: string[] = [];
    const consider = (id: string, due: number): void => {
      total++;
      if (exclude(id)) return;
      const top = keep.size >= this.limit ? keep.peek() : undefined;
      if (!top) keep.set(id, due);
      else if (due < top.due) {
        keep.pop();
        keep.set(id, due);
        nextDue = Math.min(nextDue, top.due);
      } else nextDue = Math.min(nextDue, due);
    };
    // Synchronous stats in small batches: on the thread pool (fs.promises.stat) the same scan
    // took 2-3x the time and CPU (promise overhead; the lookups contend on one directory).
    const statBatch = (): void => {
      for (const name of batch) {
        const st = statSync(`${this.dir}/${name}`, { throwIfNoEntry: false });
        if (st) consider(name.slice(0, -5), st.mtimeMs);
      }
      batch = [];
    };
    try {
      // No deferred/ (yet): nothing deferred, as the old readdir-based scan had it.
      const dir = await opendir(this.dir, { bufferSize: 1024 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
      for await (const e of dir) {
        if (!e.name.endsWith('.json')) continue;
        batch.push(e.name);
        if (batch.length >= SCAN_BATCH) {
          statBatch();
          await new Promise((r) => setImmediate(r));
        }
      }
      statBatch();
    } finally {
      this.touched = undefined;
    }
    this.heap = new DueHeap();
    this.maxBound = -Infinity;
    for (const [id, due] of keep.entries()) {
      if (touched.has(id)) continue;
      this.heap.set(id, due);
      this.maxBound = Math.max(this.maxBound, due);
    }
    this.overflow = nextDue < Infinity;
    this.diskNextDue = nextDue;
    this.onDisk = total;
    // What changed during the scan wins over what the scan saw.
    for (const [id, due] of touched) if (due !== null) this.place(id, due);
  }
}
