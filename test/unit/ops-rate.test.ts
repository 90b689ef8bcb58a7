import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRateList } from '../../src/core/rate.js';
import { ClientRateLimiter, SlidingLimiter, SpikeDetector } from '../../src/ops/rate-limit.js';

describe('SlidingLimiter', () => {
  it('admits exactly count events per sliding window, then frees slots as they age out', () => {
    let now = 1_000_000;
    const l = new SlidingLimiter(parseRateList('3/min'), () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(l.take('10.0.0.5').ok, true);
      now += 10_000;
    }
    const refused = l.take('10.0.0.5');
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.equal(refused.retryAfterMs, 60_000 - 30_000);
    now = 1_000_000 + 60_000; // the first event is exactly one window old
    assert.equal(l.take('10.0.0.5').ok, true);
    assert.equal(l.take('10.0.0.5').ok, false);
  });

  it('applies every limit in the list and keeps clients apart', () => {
    let now = 0;
    const l = new SlidingLimiter(parseRateList('5/min,7/hour'), () => now);
    for (let i = 0; i < 5; i++) assert.equal(l.take('a').ok, true);
    const r = l.take('a');
    assert.ok(!r.ok && r.limit.text === '5/min');
    assert.equal(l.take('b').ok, true);
    now += 61_000;
    assert.equal(l.take('a').ok, true);
    assert.equal(l.take('a').ok, true);
    const h = l.take('a');
    assert.ok(!h.ok && h.limit.text === '7/hour');
  });

  it('with no limits ("off") never refuses', () => {
    const l = new SlidingLimiter(parseRateList('off'));
    for (let i = 0; i < 10_000; i++) assert.equal(l.take('x').ok, true);
    assert.equal(l.size, 0);
  });

  it('reload changes the limits in place', () => {
    const now = 0;
    const l = new SlidingLimiter(parseRateList('1/min'), () => now);
    assert.equal(l.take('a').ok, true);
    assert.equal(l.take('a').ok, false);
    l.setLimits(parseRateList('10/min'));
    assert.equal(l.take('a').ok, true);
  });
});

describe('ClientRateLimiter replies', () => {
  it('answers 451 4.7.1 for messages and 452 4.5.3 for recipients: 4xx, never 5xx', () => {
    const now = 0;
    const r = new ClientRateLimiter(parseRateList('1/min'), parseRateList('2/min'), () => now);
    assert.equal(r.onMail('192.168.1.9').ok, true);
    const m = r.onMail('192.168.1.9');
    assert.ok(!m.ok);
    assert.equal(m.code, 451);
    assert.match(m.text, /^4\.7\.1 192\.168\.1\.9 is over its message rate \(1\/min\); try again in 60s$/);
    assert.equal(r.onRcpt('192.168.1.9').ok, true);
    assert.equal(r.onRcpt('192.168.1.9').ok, true);
    const c = r.onRcpt('192.168.1.9');
    assert.ok(!c.ok);
    assert.equal(c.code, 452);
    assert.match(c.text, /^4\.5\.3 .*recipient rate \(2\/min\)/);
  });
});

describe('SpikeDetector', () => {
  it('alarms once when a quiet client suddenly bursts, then stays quiet for the quiet period', () => {
    let now = 0;
    const s = new SpikeDetector({ minBurst: 20, quietMs: 30 * 60_000 }, () => now);
    // Baseline: one message an hour for a day.
    for (let h = 0; h < 24; h++) {
      now += 3_600_000;
      assert.equal(s.observe('10.0.0.7'), undefined);
    }
    const alarms = [];
    for (let i = 0; i < 100; i++) {
      now += 2000;
      const a = s.observe('10.0.0.7');
      if (a) alarms.push(a);
    }
    assert.equal(alarms.length, 1);
    assert.equal(alarms[0]!.client, '10.0.0.7');
    assert.ok(alarms[0]!.recent >= 20);
    assert.ok(alarms[0]!.baseline < 2);
  });

  it('does not alarm for a client that has always been busy at the same rate', () => {
    let now = 0;
    const s = new SpikeDetector({ minBurst: 20 }, () => now);
    let alarmsAfterWarmup = 0;
    // 6 messages a minute, steadily, for two days.
    for (let i = 0; i < 2 * 24 * 60 * 6; i++) {
      now += 10_000;
      const a = s.observe('10.0.0.8');
      if (a && now > 86_400_000) alarmsAfterWarmup++;
    }
    assert.equal(alarmsAfterWarmup, 0);
  });
});
