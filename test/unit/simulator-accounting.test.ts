import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accounting } from '../../src/simulator/accounting.js';
import { FaultBook } from '../../src/simulator/faults.js';
import { seededRandom } from '../../src/simulator/rng.js';

const limits = { maxConnections: 5, maxTotalConnections: Infinity };

describe('Accounting', () => {
  it('admits five sessions per account and refuses the sixth until one logs out', () => {
    const a = new Accounting(limits);
    for (let i = 0; i < 5; i++) assert.equal(a.login('u'), true);
    assert.equal(a.login('u'), false);
    assert.equal(a.login('other'), true, 'the limit is per account');
    a.logout('u');
    assert.equal(a.login('u'), true);
    assert.equal(a.stats().connections.peakPerAccount.u, 5);
    assert.equal(a.stats().sessions, 7);
  });

  it('caps total connections at connect and tracks the peak', () => {
    const a = new Accounting({ ...limits, maxTotalConnections: 2 });
    assert.equal(a.connect(), true);
    assert.equal(a.connect(), true);
    assert.equal(a.connect(), false);
    a.disconnect();
    assert.equal(a.connect(), true);
    const c = a.stats().connections;
    assert.deepEqual([c.current, c.peak, c.total], [2, 2, 3]);
  });

  it('hourly quota is a sliding 60-minute window', () => {
    let now = Date.UTC(2026, 4, 1, 10, 0);
    const a = new Accounting({ ...limits, quotaHour: 2 }, () => now);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(a.reserve('u'), { ok: true });
      a.commit('u', 10);
      now += 20 * 60_000;
    }
    // t = 10:40: two messages in the last hour
    assert.deepEqual(a.reserve('u'), { ok: false, which: 'hour', limit: 2 });
    now = Date.UTC(2026, 4, 1, 11, 0, 1); // the 10:00 message left the window
    assert.deepEqual(a.reserve('u'), { ok: true });
  });

  it('reservations stop concurrent transactions from overshooting, releases free them', () => {
    const a = new Accounting({ ...limits, quotaHour: 1 });
    assert.equal(a.reserve('u').ok, true);
    assert.equal(a.reserve('u').ok, false, 'second concurrent MAIL must not pass');
    a.release('u');
    assert.equal(a.reserve('u').ok, true);
  });

  it('monthly quota resets with the calendar month (UTC)', () => {
    let now = Date.UTC(2026, 0, 31, 23, 0);
    const a = new Accounting({ ...limits, quotaMonth: 1 }, () => now);
    a.reserve('u');
    a.commit('u', 1);
    now += 30 * 60_000;
    assert.deepEqual(a.reserve('u'), { ok: false, which: 'month', limit: 1 });
    now = Date.UTC(2026, 1, 1, 0, 0, 1);
    assert.equal(a.reserve('u').ok, true);
    assert.equal(a.stats().quota.u!.month, 0);
  });

  it('counts rejections by reason and reset() clears usage', () => {
    const a = new Accounting(limits);
    a.reject('size');
    a.reject('size');
    a.reject('defer');
    assert.deepEqual(a.stats().rejected, { total: 3, byReason: { size: 2, defer: 1 } });
    a.reset();
    assert.equal(a.stats().rejected.total, 0);
  });
});

describe('FaultBook', () => {
  it('fires each fault count times, in injection order, per stage', () => {
    const f = new FaultBook();
    f.inject({ kind: 'greeting421', count: 2 });
    f.inject({ kind: 'delayReply', stage: 'data', ms: 5 });
    assert.ok(f.take('greeting421'));
    assert.ok(f.take('greeting421'));
    assert.equal(f.take('greeting421'), undefined);
    assert.equal(f.take('delayReply', 'mail'), undefined);
    assert.ok(f.take('delayReply', 'data'));
    assert.equal(f.pending().length, 0);
  });

  it('Infinity never runs out; clear() disarms', () => {
    const f = new FaultBook();
    f.inject({ kind: 'authFail', count: Infinity });
    for (let i = 0; i < 100; i++) assert.ok(f.take('authFail'));
    f.clear();
    assert.equal(f.take('authFail'), undefined);
  });
});

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const sa = Array.from({ length: 5 }, a);
    assert.deepEqual(sa, Array.from({ length: 5 }, b));
    assert.notDeepEqual(sa, Array.from({ length: 5 }, c));
    assert.ok(sa.every((x) => x >= 0 && x < 1));
  });
});
