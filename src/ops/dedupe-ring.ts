// The dedupe window in compact form. Claims arrive in time order, so the entries form a ring:
// new ones at the tail, expiry only ever advances the head. Keys are 16-byte digests and ids
// short ASCII strings, all kept in Buffers/typed arrays (off the JS heap, nothing for the GC to
// trace), found through an open-addressing hash table (linear probing, backward-shift delete).
// About 50 bytes per entry instead of a Map of two strings and an object (~250 bytes + GC slack).
import { createHash } from 'node:crypto';

const KEY_BYTES = 16;
/** Queue ids are 17 characters; longer or non-ASCII ids go to a side map. */
const ID_BYTES = 20;
const LONG_ID = 255;
const MIN_CAP = 1024;
const HEX_KEY = /^[0-9a-f]{32}$/;

export interface RingEntry {
  key: string;
  id: string;
  at: number;
}

export class DedupeRing {
  private cap = MIN_CAP;
  private keys = Buffer.alloc(MIN_CAP * KEY_BYTES);
  private at = new Float64Array(MIN_CAP);
  private ids = Buffer.alloc(MIN_CAP * ID_BYTES);
  private idLen = new Uint8Array(MIN_CAP);
  private longIds = new Map<number, string>();
  /** Hash table of slot + 1 (0 = empty), twice the ring's size. */
  private table = new Int32Array(MIN_CAP * 2);
  private head = 0;
  /** Slots in use from head on, including dead ones (re-claimed keys) not yet passed by expiry. */
  private used = 0;
  private live = 0;
  private readonly digest = Buffer.alloc(KEY_BYTES);

  get size(): number {
    return this.live;
  }

  /** Bytes held in the typed arrays (for tests and metrics). */
  get bytes(): number {
    return this.keys.length + this.at.byteLength + this.ids.length + this.idLen.length + this.table.byteLength;
  }

  /** The live entry for key, if any. */
  get(key: string): { id: string; at: number } | undefined {
    const pos = this.find(key);
    if (pos < 0) return undefined;
    const slot = this.table[pos]! - 1;
    return { id: this.readId(slot), at: this.at[slot]! };
  }

  /** Appends an entry (time order expected); an older entry for the same key is dropped. */
  add(key: string, id: string, at: number): void {
    const old = this.find(key);
    if (old >= 0) this.kill(old);
    // Full: double, or just squeeze out dead slots when at most half are live.
    if (this.used === this.cap) this.resize(this.live * 2 > this.cap ? this.cap * 2 : this.cap);
    const slot = (this.head + this.used) & (this.cap - 1);
    this.digest.copy(this.keys, slot * KEY_BYTES);
    this.at[slot] = at;
    this.writeId(slot, id);
    this.used++;
    this.live++;
    this.insert(slot);
  }

  /** Drops head entries while `drop(at)` says so (entries are in time order). */
  expireWhile(drop: (at: number) => boolean): void {
    while (this.used > 0) {
      const slot = this.head;
      const t = this.at[slot]!;
      if (!Number.isNaN(t)) {
        if (!drop(t)) break;
        this.removeFromTable(slot);
        this.live--;
      }
      this.longIds.delete(slot);
      this.head = (this.head + 1) & (this.cap - 1);
      this.used--;
    }
    if (this.cap > MIN_CAP && this.used * 8 < this.cap) this.resize(Math.max(MIN_CAP, nextPow2(this.used * 2)));
  }

  /** Live entries, oldest first (a synchronous snapshot: safe to consume after awaits). */
  snapshot(): RingEntry[] {
    const out: RingEntry[] = [];
    for (let i = 0; i < this.used; i++) {
      const slot = (this.head + i) & (this.cap - 1);
      if (Number.isNaN(this.at[slot]!)) continue;
      out.push({ key: this.keys.toString('hex', slot * KEY_BYTES, (slot + 1) * KEY_BYTES), id: this.readId(slot), at: this.at[slot]! });
    }
    return out;
  }

  /** Table position of key (its digest left in this.digest), or -1. */
  private find(key: string): number {
    if (HEX_KEY.test(key)) this.digest.write(key, 'hex');
    else createHash('sha256').update(key).digest().copy(this.digest, 0, 0, KEY_BYTES);
    const mask = this.table.length - 1;
    for (let pos = this.digest.readUInt32LE(0) & mask; ; pos = (pos + 1) & mask) {
      const v = this.table[pos]!;
      if (v === 0) return -1;
      if (this.sameKey(v - 1)) return pos;
    }
  }

  private sameKey(slot: number): boolean {
    const o = slot * KEY_BYTES;
    const k = this.keys;
    const d = this.digest;
    return k.readUInt32LE(o) === d.readUInt32LE(0) && k.readUInt32LE(o + 4) === d.readUInt32LE(4) && k.readUInt32LE(o + 8) === d.readUInt32LE(8) && k.readUInt32LE(o + 12) === d.readUInt32LE(12);
  }

  private home(slot: number): number {
    return this.keys.readUInt32LE(slot * KEY_BYTES) & (this.table.length - 1);
  }

  private insert(slot: number): void {
    const mask = this.table.length - 1;
    let pos = this.home(slot);
    while (this.table[pos] !== 0) pos = (pos + 1) & mask;
    this.table[pos] = slot + 1;
  }

  /** Marks the entry at table position pos dead (its ring slot is skipped by expiry). */
  private kill(pos: number): void {
    const slot = this.table[pos]! - 1;
    this.deleteAt(pos);
    this.at[slot] = NaN;
    this.longIds.delete(slot);
    this.live--;
  }

  private removeFromTable(slot: number): void {
    const mask = this.table.length - 1;
    for (let pos = this.home(slot); this.table[pos] !== 0; pos = (pos + 1) & mask) {
      if (this.table[pos] === slot + 1) return this.deleteAt(pos);
    }
  }

  /** Backward-shift deletion: keeps every probe chain unbroken without tombstones. */
  private deleteAt(pos: number): void {
    const t = this.table;
    const mask = t.length - 1;
    let hole = pos;
    t[hole] = 0;
    for (let j = (hole + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const h = this.home(t[j]! - 1);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
      if (stays) continue;
      t[hole] = t[j]!;
      t[j] = 0;
      hole = j;
    }
  }

  private writeId(slot: number, id: string): void {
    if (id.length <= ID_BYTES && /^[\x20-\x7e]*$/.test(id)) {
      this.ids.write(id, slot * ID_BYTES, 'latin1');
      this.idLen[slot] = id.length;
    } else {
      this.idLen[slot] = LONG_ID;
      this.longIds.set(slot, id);
    }
  }

  private readId(slot: number): string {
    const n = this.idLen[slot]!;
    if (n === LONG_ID) return this.longIds.get(slot) ?? '';
    return this.ids.toString('latin1', slot * ID_BYTES, slot * ID_BYTES + n);
  }

  /** Copies the used slots, in order, to the start of fresh arrays of newCap slots. */
  private resize(newCap: number): void {
    const keys = Buffer.alloc(newCap * KEY_BYTES);
    const at = new Float64Array(newCap);
    const ids = Buffer.alloc(newCap * ID_BYTES);
    const idLen = new Uint8Array(newCap);
    const longIds = new Map<number, string>();
    let n = 0;
    for (let i = 0; i < this.used; i++) {
      const slot = (this.head + i) & (this.cap - 1);
      if (Number.isNaN(this.at[slot]!)) continue;
      this.keys.copy(keys, n * KEY_BYTES, slot * KEY_BYTES, (slot + 1) * KEY_BYTES);
      this.ids.copy(ids, n * ID_BYTES, slot * ID_BYTES, (slot + 1) * ID_BYTES);
      at[n] = this.at[slot]!;
      idLen[n] = this.idLen[slot]!;
      const long = this.longIds.get(slot);
      if (long !== undefined) longIds.set(n, long);
      n++;
    }
    this.cap = newCap;
    this.keys = keys;
    this.at = at;
    this.ids = ids;
    this.idLen = idLen;
    this.longIds = longIds;
    this.head = 0;
    this.used = n;
    this.live = n;
    this.table = new Int32Array(newCap * 2);
    for (let s = 0; s < n; s++) this.insert(s);
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
