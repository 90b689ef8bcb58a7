// A binary heap of (id, due) with an id -> position map, so an entry can be updated or removed
// by id. `first(a, b)` orders it: a < b gives the earliest due on top, a > b the latest.
export class DueHeap {
  private readonly ids: string[] = [];
  private readonly dues: number[] = [];
  private readonly pos = new Map<string, number>();

  constructor(private readonly first: (a: number, b: number) => boolean = (a, b) => a < b) {}

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.pos.has(id);
  }

  get(id: string): number | undefined {
    const i = this.pos.get(id);
    return i === undefined ? undefined : this.dues[i];
  }

  /** The top entry (earliest due for a min-heap). */
  peek(): { id: string; due: number } | undefined {
    return this.ids.length ? { id: this.ids[0]!, due: this.dues[0]! } : undefined;
  }

  set(id: string, due: number): void {
    const i = this.pos.get(id);
    if (i !== undefined) {
      const old = this.dues[i]!;
      this.dues[i] = due;
      if (this.first(due, old)) this.up(i);
      else this.down(i);
      return;
    }
    this.ids.push(id);
    this.dues.push(due);
    this.pos.set(id, this.ids.length - 1);
    this.up(this.ids.length - 1);
  }

  delete(id: string): boolean {
    const i = this.pos.get(id);
    if (i === undefined) return false;
    this.pos.delete(id);
    const lastId = this.ids.pop()!;
    const lastDue = this.dues.pop()!;
    if (i < this.ids.length) {
      this.ids[i] = lastId;
      this.dues[i] = lastDue;
      this.pos.set(lastId, i);
      this.up(i);
      this.down(this.pos.get(lastId)!);
    }
    return true;
  }

  pop(): { id: string; due: number } | undefined {
    const top = this.peek();
    if (top) this.delete(top.id);
    return top;
  }

  /** The entry at the other end (latest due for a min-heap): a scan over the leaves, O(n). */
  last(): { id: string; due: number } | undefined {
    let best = -1;
    for (let i = this.ids.length >> 1; i < this.ids.length; i++) if (best < 0 || this.first(this.dues[best]!, this.dues[i]!)) best = i;
    return best < 0 ? undefined : { id: this.ids[best]!, due: this.dues[best]! };
  }

  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.ids.length; i++) yield [this.ids[i]!, this.dues[i]!];
  }

  clear(): void {
    this.ids.length = 0;
    this.dues.length = 0;
    this.pos.clear();
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.first(this.dues[i]!, this.dues[p]!)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.first(this.dues[l]!, this.dues[m]!)) m = l;
      if (r < n && this.first(this.dues[r]!, this.dues[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const id = this.ids[a]!;
    const due = this.dues[a]!;
    this.ids[a] = this.ids[b]!;
    this.dues[a] = this.dues[b]!;
    this.ids[b] = id;
    this.dues[b] = due;
    this.pos.set(this.ids[a]!, a);
    this.pos.set(id, b);
  }
}
