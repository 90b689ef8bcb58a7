// The scheduler's index of fresh messages waiting in the journal: id -> where the entry is,
// oldest first. While the smarthost is unreachable every new message waits here, so with 100,000
// queued a Map of id string -> JournalRef object cost about 130 bytes of JS heap per message
// (plus the old generation V8 grows around it). Here there is no object per message: ids as
// UTF-8 bytes in one pool, places in typed arrays (outside the JS heap), found through an
// open-addressing hash table of slot numbers: about 60 bytes per message.
//
// Slots form a log in insertion order (what a Map iterates in). A deleted slot is marked dead
// and skipped; the log is compacted (and resized) only when an append finds it full, so every
// operation is O(1) amortised and allocates nothing but what get()/keys() hand out.
import type { JournalRef } from './scan.js';

const MIN_SLOTS = 64;
const MIN_POOL = 1024;

export class JournaledIndex {
  /** Log slots [head, tail): per slot the id's hash, where its bytes are, and the ref. */
  private cap = MIN_SLOTS;
  private hash = new Uint32Array(MIN_SLOTS);
  private idStart = new Uint32Array(MIN_SLOTS);
  private idLen = new Uint32Array(MIN_SLOTS);
  private alive = new Uint8Array(MIN_SLOTS);
  private seg = new Uint32Array(MIN_SLOTS);
  private offset = new Float64Array(MIN_SLOTS);
  private recordLen = new Uint32Array(MIN_SLOTS);
  private bodyLen = new Uint32Array(MIN_SLOTS);
  private head = 0;
  private tail = 0;
  private count = 0;
  /** Id bytes of every slot in the log; [0, poolEnd) used, liveBytes of it by live slots. */
  private pool = Buffer.alloc(MIN_POOL);
  private poolEnd = 0;
  private liveBytes = 0;
  /** Linear probing, slot + 1 per position (0 = empty); twice the log's capacity. */
  private table = new Uint32Array(2 * MIN_SLOTS);
  private mask = 2 * MIN_SLOTS - 1;
  /** The key being looked up, as UTF-8. */
  private scratch = Buffer.alloc(256);
  private keyLen = 0;
  private keyHash = 0;
  /** Changes when slots are renumbered (iterators cannot follow that). */
  private epoch = 0;

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  get(id: string): JournalRef | undefined {
    const s = this.slotOf(this.find(id));
    return s < 0 ? undefined : { seg: this.seg[s]!, offset: this.offset[s]!, recordLen: this.recordLen[s]!, bodyLen: this.bodyLen[s]! };
  }

  /** Like Map.set: an existing id keeps its place, a new one goes last. */
  set(id: string, ref: JournalRef): this {
    const pos = this.find(id);
    let s = this.slotOf(pos);
    if (s < 0) {
      s = this.append();
      this.table[this.probeEmpty(this.keyHash)] = s + 1;
    }
    this.seg[s] = ref.seg;
    this.offset[s] = ref.offset;
    this.recordLen[s] = ref.recordLen;
    this.bodyLen[s] = ref.bodyLen;
    return this;
  }

  delete(id: string): boolean {
    const pos = this.find(id);
    if (pos < 0) return false;
    const s = this.table[pos]! - 1;
    this.removeAt(pos);
    this.alive[s] = 0;
    this.count--;
    this.liveBytes -= this.idLen[s]!;
    if (this.count === 0) {
      // Empty: start the log over (the table is already empty).
      this.head = this.tail = this.poolEnd = 0;
      this.epoch++;
    } else if (s === this.head) {
      while (!this.alive[this.head]) this.head++;
    }
    return true;
  }

  /** The oldest id, if any. */
  first(): string | undefined {
    return this.count ? this.idAt(this.head) : undefined;
  }

  /** Ids oldest first. Deleting while iterating is fine; adding may renumber slots (then it throws). */
  *keys(): IterableIterator<string> {
    const epoch = this.epoch;
    for (let s = this.head; s < this.tail; s++) {
      if (this.epoch !== epoch) throw new Error('JournaledIndex changed shape during iteration');
      if (this.alive[s]) yield this.idAt(s);
    }
  }

  *entries(): IterableIterator<[string, JournalRef]> {
    for (const id of this.keys()) yield [id, this.get(id)!];
  }

  private idAt(s: number): string {
    const start = this.idStart[s]!;
    return this.pool.toString('utf8', start, start + this.idLen[s]!);
  }

  private slotOf(pos: number): number {
    return pos < 0 ? -1 : this.table[pos]! - 1;
  }

  /** Table position holding `id`, or -1 (keyLen/keyHash are left set for an insert). */
  private find(id: string): number {
    if (id.length * 3 > this.scratch.length) this.scratch = Buffer.alloc(id.length * 3);
    const n = this.scratch.write(id, 0, 'utf8');
    const key = this.scratch;
    // FNV-1a, then murmur3's finaliser: ids share long prefixes (their creation time).
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    this.keyLen = n;
    this.keyHash = h;
    const pool = this.pool;
    for (let pos = h & this.mask; ; pos = (pos + 1) & this.mask) {
      const t = this.table[pos]!;
      if (t === 0) return -1;
      const s = t - 1;
      if (this.hash[s] !== h || this.idLen[s] !== n) continue;
      const start = this.idStart[s]!;
      let i = 0;
      while (i < n && pool[start + i] === key[i]) i++;
      if (i === n) return pos;
    }
  }

  private probeEmpty(h: number): number {
    let pos = h & this.mask;
    while (this.table[pos] !== 0) pos = (pos + 1) & this.mask;
    return pos;
  }

  /** Linear probing's deletion without tombstones: later entries of the run shift back. */
  private removeAt(pos: number): void {
    const mask = this.mask;
    let hole = pos;
    for (let j = (pos + 1) & mask; this.table[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash[this.table[j]! - 1]! & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        this.table[hole] = this.table[j]!;
        hole = j;
      }
    }
    this.table[hole] = 0;
  }

  /** A new last slot holding the key in scratch (keyLen, keyHash). */
  private append(): number {
    const n = this.keyLen;
    if (this.tail === this.cap || this.poolEnd + n > this.pool.length) this.compact(n);
    const s = this.tail++;
    // A loop, not Buffer.copy: that makes a view object per call, and ids are short.
    const pool = this.pool;
    const key = this.scratch;
    for (let i = 0, p = this.poolEnd; i < n; i++) pool[p + i] = key[i]!;
    this.hash[s] = this.keyHash;
    this.idStart[s] = this.poolEnd;
    this.idLen[s] = n;
    this.alive[s] = 1;
    this.poolEnd += n;
    this.liveBytes += n;
    this.count++;
    return s;
  }

  /**
   * Moves the live slots to the front, in order, into arrays sized for twice what is live (plus
   * the key about to be added), and rebuilds the table: at least half of the new log is free,
   * so this runs once per that many appends.
   */
  private compact(extraBytes: number): void {
    const cap = pow2AtLeast(2 * (this.count + 1), MIN_SLOTS);
    const poolSize = pow2AtLeast(2 * (this.liveBytes + extraBytes), MIN_POOL);
    const old = { hash: this.hash, idStart: this.idStart, idLen: this.idLen, alive: this.alive, seg: this.seg, offset: this.offset, recordLen: this.recordLen, bodyLen: this.bodyLen, pool: this.pool };
    if (cap !== this.cap) {
      this.cap = cap;
      this.hash = new Uint32Array(cap);
      this.idStart = new Uint32Array(cap);
      this.idLen = new Uint32Array(cap);
      this.alive = new Uint8Array(cap);
      this.seg = new Uint32Array(cap);
      this.offset = new Float64Array(cap);
      this.recordLen = new Uint32Array(cap);
      this.bodyLen = new Uint32Array(cap);
      this.table = new Uint32Array(2 * cap);
      this.mask = 2 * cap - 1;
    } else {
      this.table.fill(0);
    }
    if (poolSize !== this.pool.length) this.pool = Buffer.alloc(poolSize);
    // Forward copy: in place, a slot (and its bytes) only ever moves to a lower index.
    let w = 0;
    let bytes = 0;
    for (let r = this.head; r < this.tail; r++) {
      if (!old.alive[r]) continue;
      const len = old.idLen[r]!;
      const from = old.idStart[r]!;
      for (let i = 0; i < len; i++) this.pool[bytes + i] = old.pool[from + i]!;
      this.hash[w] = old.hash[r]!;
      this.idStart[w] = bytes;
      this.idLen[w] = len;
      this.alive[w] = 1;
      this.seg[w] = old.seg[r]!;
      this.offset[w] = old.offset[r]!;
      this.recordLen[w] = old.recordLen[r]!;
      this.bodyLen[w] = old.bodyLen[r]!;
      this.table[this.probeEmpty(old.hash[r]!)] = w + 1;
      bytes += len;
      w++;
    }
    this.alive.fill(0, w);
    this.head = 0;
    this.tail = w;
    this.poolEnd = bytes;
    this.epoch++;
  }
}

function pow2AtLeast(n: number, min: number): number {
  let p = min;
  while (p < n) p *= 2;
  return p;
}
