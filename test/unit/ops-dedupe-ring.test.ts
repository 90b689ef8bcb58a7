import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupeIndex } from '../../src/ops/dedupe.js';
import { DedupeRing } from '../../src/ops/dedupe-ring.js';

/** A 32-hex key whose first 4 bytes (the hash table's home position) are `home`. */
const keyWithHome = (home: number, n: number): string => home.toString(16).padStart(8, '0') + n.toString(16).padStart(24, '0');

describe('DedupeRing', () => {
  it('keeps colliding keys apart and finds every one after deletes in the middle of a probe chain', () => {
    const r = new DedupeRing();
    const keys = Array.from({ length: 40 }, (_, i) => keyWithHome(7, i));
    keys.forEach((k, i) => r.add(k, `ID${i}`, i));
    for (let i = 0; i < keys.length; i++) assert.deepEqual(r.get(keys[i]!), { id: `ID${i}`, at: i });
    // Expire the first 10, then re-add key 20 (kills its old slot): the chain must stay intact.
    r.expireWhile((at) => at < 10);
    r.add(keys[20]!, 'NEW20', 100);
    for (let i = 0; i < 10; i++) assert.equal(r.get(keys[i]!), undefined, `key ${i} expired`);
    for (let i = 10; i < keys.length; i++) assert.equal(r.get(keys[i]!)?.id, i === 20 ? 'NEW20' : `ID${i}`);
    assert.equal(r.size, 30);
    assert.equal(r.get(keyWithHome(7, 999)), undefined);
  });

  it('grows past its first size, shrinks after expiry and keeps every entry readable', () => {
    const r = new DedupeRing();
    const small = r.bytes;
    for (let i = 0; i < 20_000; i++) r.add(`key-${i}`, `Q${i.toString(36).toUpperCase().padStart(17, '0')}`, i);
    assert.equal(r.size, 20_000);
    assert.ok(r.bytes > small * 10, `grew (${r.bytes} bytes)`);
    assert.ok(r.bytes / r.size < 130, `compact: ${(r.bytes / r.size).toFixed(0)} bytes per entry`);
    for (let i = 0; i < 20_000; i += 997) assert.equal(r.get(`key-${i}`)?.id, `Q${i.toString(36).toUpperCase().padStart(17, '0')}`);
    r.expireWhile((at) => at < 19_900);
    assert.equal(r.size, 100);
    assert.ok(r.bytes < small * 2, `shrank back (${r.bytes} bytes)`);
    assert.equal(r.get('key-19950')?.at, 19_950);
    assert.equal(r.get('key-100'), undefined);
  });

  it('keeps long and non-ASCII ids', () => {
    const r = new DedupeRing();
    r.add('a', 'x'.repeat(60), 1);
    r.add('b', 'Grüße', 2);
    r.add('c', '', 3);
    assert.equal(r.get('a')?.id, 'x'.repeat(60));
    assert.equal(r.get('b')?.id, 'Grüße');
    assert.equal(r.get('c')?.id, '');
    r.expireWhile((at) => at < 2);
    assert.equal(r.get('a'), undefined);
    assert.deepEqual(r.snapshot().map((e) => e.id), ['Grüße', '']);
  });

  it('survives many add/expire cycles around the ring (wrap-around) with a steady size', () => {
    const r = new DedupeRing();
    for (let t = 0; t < 50_000; t++) {
      r.add(`k${t}`, `I${t}`, t);
      r.expireWhile((at) => at <= t - 700);
    }
    assert.equal(r.size, 700);
    for (let t = 49_300; t < 50_000; t += 37) assert.equal(r.get(`k${t}`)?.id, `I${t}`);
    assert.equal(r.get('k49299'), undefined);
  });
});

describe('DedupeIndex window', () => {
  it('expires by advancing time, and a shorter or longer window (SIGHUP) applies to the next claim', () => {
    let now = 0;
    const d = new DedupeIndex(10_000, undefined, () => now);
    assert.equal(d.claim('a', 'A1'), undefined);
    now = 5000;
    assert.equal(d.claim('b', 'B1'), undefined);
    now = 9000;
    assert.equal(d.claim('a', 'A2')?.id, 'A1');
    d.setWindow(3000);
    assert.equal(d.claim('a', 'A3'), undefined, 'a is 9 s old: outside the new 3 s window');
    assert.equal(d.size, 1, 'b (4 s old) expired too; only the new a is left');
    d.setWindow(60_000);
    now = 50_000;
    assert.equal(d.claim('a', 'A4')?.id, 'A3');
    d.setWindow(0);
    assert.equal(d.claim('a', 'A5'), undefined, 'window 0: off');
  });

  it('caps the number of entries (oldest dropped first)', () => {
    let now = 0;
    const d = new DedupeIndex(3_600_000, undefined, () => now, 1000);
    for (let i = 0; i < 1500; i++) {
      now++;
      d.claim(`k${i}`, `i${i}`);
    }
    assert.equal(d.size, 1000);
    assert.equal(d.claim('k499', 'again'), undefined, 'dropped');
    assert.equal(d.claim('k1499', 'again')?.id, 'i1499');
  });
});
