import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JournaledIndex } from '../../src/relay/journal/journaled-index.js';
import type { JournalRef } from '../../src/relay/journal/scan.js';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ref(r: () => number): JournalRef {
  return { seg: Math.floor(r() * 2 ** 32), offset: Math.floor(r() * 2 ** 40), recordLen: Math.floor(r() * 2 ** 32), bodyLen: Math.floor(r() * 300_000) };
}

/** Ids like the spool's (time, sequence, random) and some odd ones: empty, long, non-ASCII. */
function idFor(r: () => number, n: number): string {
  const k = r();
  if (k < 0.02) return '';
  if (k < 0.04) return 'x'.repeat(1 + Math.floor(r() * 400)) + n;
  if (k < 0.06) return `é✉${n}😀`;
  return `MIX${(1_800_000_000 + n).toString(36).toUpperCase()}${(n % 1296).toString(36).padStart(2, '0')}${Math.floor(r() * 0xffffff).toString(16).padStart(6, '0')}`;
}

function assertSame(idx: JournaledIndex, ref: Map<string, JournalRef>): void {
  assert.equal(idx.size, ref.size);
  assert.deepEqual([...idx.keys()], [...ref.keys()]);
  assert.deepEqual([...idx.entries()], [...ref.entries()]);
  assert.equal(idx.first(), ref.keys().next().value);
}

describe('JournaledIndex', () => {
  it('behaves like a Map under random operation sequences (order, values, size, first)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const idx = new JournaledIndex();
      const m = new Map<string, JournalRef>();
      const known: string[] = [];
      // Phases that grow, churn at the front (as the scheduler does) and shrink to empty.
      const steps = 3000 + Math.floor(r() * 3000);
      for (let i = 0; i < steps; i++) {
        const phase = Math.floor((i / steps) * 4);
        const op = r();
        const pick = (): string => (known.length && r() < 0.9 ? known[Math.floor(r() * known.length)]! : idFor(r, i + 1_000_000));
        if (op < [0.6, 0.35, 0.2, 0.05][phase]!) {
          const id = r() < 0.1 ? pick() : idFor(r, i);
          const v = ref(r);
          idx.set(id, v);
          m.set(id, v);
          known.push(id);
        } else if (op < 0.75) {
          // The scheduler's take: the oldest out.
          const first = m.keys().next().value;
          assert.equal(idx.first(), first);
          if (first !== undefined) assert.equal(idx.delete(first), m.delete(first));
        } else if (op < 0.9) {
          const id = pick();
          assert.equal(idx.delete(id), m.delete(id));
        } else {
          const id = pick();
          assert.equal(idx.has(id), m.has(id));
          assert.deepEqual(idx.get(id), m.get(id));
        }
        if (i % 500 === 0) assertSame(idx, m);
      }
      assertSame(idx, m);
      for (const id of [...m.keys()]) {
        assert.equal(idx.delete(id), true);
        m.delete(id);
      }
      assertSame(idx, m);
      assert.equal(idx.delete('gone'), false);
    }
  });

  it('keeps an existing id in its place on set, and a re-added one goes last (Map order)', () => {
    const idx = new JournaledIndex();
    for (const id of ['a', 'b', 'c']) idx.set(id, { seg: 1, offset: 0, recordLen: 1, bodyLen: 1 });
    idx.set('a', { seg: 2, offset: 24, recordLen: 3, bodyLen: 4 });
    assert.deepEqual([...idx.keys()], ['a', 'b', 'c']);
    assert.deepEqual(idx.get('a'), { seg: 2, offset: 24, recordLen: 3, bodyLen: 4 });
    idx.delete('a');
    idx.set('a', { seg: 3, offset: 0, recordLen: 1, bodyLen: 1 });
    assert.deepEqual([...idx.keys()], ['b', 'c', 'a']);
    assert.equal(idx.first(), 'b');
  });

  it('allows deleting the current id while iterating, and refuses to go on after a renumbering', () => {
    const idx = new JournaledIndex();
    for (let i = 0; i < 10; i++) idx.set(`m${i}`, { seg: 1, offset: i, recordLen: 1, bodyLen: 1 });
    const seen: string[] = [];
    for (const id of idx.keys()) {
      seen.push(id);
      idx.delete(id);
    }
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `m${i}`));
    assert.equal(idx.size, 0);
    for (let i = 0; i < 10; i++) idx.set(`n${i}`, { seg: 1, offset: i, recordLen: 1, bodyLen: 1 });
    assert.throws(() => {
      for (const id of idx.keys()) for (let i = 0; i < 1000; i++) idx.set(`${id}-${i}`, { seg: 1, offset: i, recordLen: 1, bodyLen: 1 });
    }, /changed shape/);
  });

  it('holds 100,000 spool-like ids with memory outside the JS heap, and drains them oldest first', () => {
    const idx = new JournaledIndex();
    const r = rng(99);
    const ids = Array.from({ length: 100_000 }, (_, i) => idFor(() => 0.5 + r() / 2, i));
    const refs = ids.map((_, i): JournalRef => ({ seg: 1 + (i >> 12), offset: (i & 4095) * 1200, recordLen: 300, bodyLen: 900 }));
    // A first pass flattens the ids (built by concatenation): V8 does that on first use, in
    // place, whatever holds them; only the second pass is measured.
    for (let i = 0; i < ids.length; i++) new JournaledIndex().has(ids[i]!);
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < ids.length; i++) idx.set(ids[i]!, refs[i]!);
    // Nothing per message on the JS heap (a Map of the same ids and refs adds about 7 MB here).
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 2 * 1048576);
    assert.equal(idx.size, 100_000);
    for (let i = 0; i < 100_000; i += 997) assert.deepEqual(idx.get(ids[i]!), { seg: 1 + (i >> 12), offset: (i & 4095) * 1200, recordLen: 300, bodyLen: 900 });
    for (let i = 0; i < 100_000; i++) {
      assert.equal(idx.first(), ids[i]);
      idx.delete(ids[i]!);
    }
    assert.equal(idx.size, 0);
    assert.equal(idx.first(), undefined);
  });
});
