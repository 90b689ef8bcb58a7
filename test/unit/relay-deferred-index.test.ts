import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DeferredIndex } from '../../src/relay/deferred-index.js';
import { DueHeap } from '../../src/relay/due-heap.js';
import { tempDir } from '../helpers/tmp.js';

const T = 1_800_000_000_000;

function record(dir: string, id: string, due: number): void {
  const p = join(dir, `${id}.json`);
  writeFileSync(p, '{}\n');
  utimesSync(p, due / 1000, due / 1000);
}

describe('DueHeap', () => {
  it('pops in due order through updates and deletes, and finds the latest', () => {
    const h = new DueHeap();
    const dues = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000);
    dues.forEach((d, i) => h.set(`m${i}`, d));
    for (let i = 0; i < 200; i += 3) h.delete(`m${i}`);
    h.set('m1', -5);
    h.set('m2', 5000);
    assert.deepEqual(h.last(), { id: 'm2', due: 5000 });
    const out: number[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e.due);
    assert.equal(out.length, 200 - 67);
    assert.deepEqual(out, [...out].sort((a, b) => a - b));
    assert.equal(out[0], -5);
  });
});

describe('DeferredIndex', () => {
  it('keeps the earliest `limit` in memory, evicting later ones, and counts the rest', () => {
    const idx = new DeferredIndex('/nonexistent', 4);
    for (const [id, due] of [['a', 50], ['b', 40], ['c', 30], ['d', 20], ['e', 60], ['f', 10]] as const) idx.add(id, T + due);
    assert.equal(idx.inMemory, 4);
    assert.equal(idx.count, 6);
    assert.equal(idx.complete, false);
    assert.equal(idx.has('a'), false, 'a (latest of the first four) moved out for f');
    assert.equal(idx.has('e'), false);
    assert.equal(idx.takeDue(T), undefined, 'nothing due yet');
    const order: string[] = [];
    for (let id = idx.takeDue(T + 100); id; id = idx.takeDue(T + 100)) order.push(id);
    assert.deepEqual(order, ['f', 'd', 'c', 'b']);
    assert.equal(idx.count, 2);
  });

  it('wants a refill only when low and something on disk is due; the scan brings the earliest in', async () => {
    const t = tempDir();
    try {
      for (let i = 0; i < 12; i++) record(t.path, `m${String(i).padStart(2, '0')}`, T + (11 - i) * 1000);
      const idx = new DeferredIndex(t.path, 4);
      await idx.scan(() => false);
      assert.deepEqual({ n: idx.inMemory, count: idx.count, complete: idx.complete }, { n: 4, count: 12, complete: false });
      assert.ok(['m11', 'm10', 'm09', 'm08'].every((id) => idx.has(id)));
      assert.equal(idx.wantsRefill(T + 1000), false, 'disk holds nothing due before T+4000');
      // Take the four in memory (their records leave deferred/, as the scheduler's rename does).
      const now = T + 20_000;
      for (let i = 0; i < 4; i++) assert.ok(idx.takeDue(now));
      assert.equal(idx.wantsRefill(T + 3999), false);
      assert.equal(idx.wantsRefill(now), true);
      for (const id of ['m11', 'm10', 'm09', 'm08']) (await import('node:fs')).unlinkSync(join(t.path, `${id}.json`));
      await idx.refill((id) => id === 'm07');
      assert.equal(idx.count, 8);
      assert.ok(['m06', 'm05', 'm04', 'm03'].every((id) => idx.has(id)), 'earliest four not excluded');
      assert.equal(idx.has('m07'), false, 'excluded (in flight)');
      assert.equal(idx.wantsRefill(now), false, 'not low any more');
    } finally {
      t.cleanup();
    }
  });

  it('an add or take during a scan wins over what the scan saw; flush makes disk-only work due', async () => {
    const t = tempDir();
    try {
      for (let i = 0; i < 3000; i++) record(t.path, `x${i}`, T + 10_000 + i);
      const idx = new DeferredIndex(t.path, 100);
      await idx.scan(() => false);
      const scan = idx.scan(() => false);
      const took = idx.takeDue(T + 10_000); // x0 claimed during the scan
      idx.add('x5', T + 1); // settled again during the scan with a new due
      await scan;
      assert.equal(took, 'x0');
      assert.equal(idx.has('x0'), false, 'claimed during the scan: not brought back');
      assert.equal(idx.takeDue(T + 2), 'x5', 'the new due, not the mtime the scan saw');
      assert.equal(idx.wantsRefill(T + 5000), false);
      idx.flush();
      assert.equal(idx.takeDue(T), 'x1', 'flushed: due at once');
      for (let id = idx.takeDue(T); id; id = idx.takeDue(T));
      assert.equal(idx.wantsRefill(Date.now()), true, 'after a flush of all, disk-only records are due');
    } finally {
      t.cleanup();
    }
  });
});

describe('DeferredIndex with records left on disk', () => {
  it('a deferral later than the earliest one on disk stays on disk even with room in memory', async () => {
    const t = tempDir();
    try {
      for (let i = 0; i < 8; i++) record(t.path, `r${i}`, T + i * 1000);
      const idx = new DeferredIndex(t.path, 4);
      await idx.scan(() => false);
      assert.equal(idx.takeDue(T), 'r0');
      idx.add('late', T + 60_000);
      assert.equal(idx.has('late'), false, 'r4..r7 on disk are due first');
      idx.add('early', T + 500);
      assert.equal(idx.has('early'), true);
      assert.equal(idx.count, 9);
      assert.deepEqual([idx.takeDue(T + 3000), idx.takeDue(T + 3000), idx.takeDue(T + 3000), idx.takeDue(T + 3000)], ['early', 'r1', 'r2', 'r3']);
    } finally {
      t.cleanup();
    }
  });
});

describe('DeferredIndex without a directory', () => {
  it('a missing deferred/ scans as empty', async () => {
    const idx = new DeferredIndex('/nonexistent/deferred', 4);
    await idx.scan(() => false);
    assert.deepEqual({ count: idx.count, inMemory: idx.inMemory, complete: idx.complete }, { count: 0, inMemory: 0, complete: true });
  });
});
