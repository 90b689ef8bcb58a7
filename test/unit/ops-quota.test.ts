import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { QuotaMeter, nextMonthStart, quotaReply } from '../../src/ops/quota.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);

describe('QuotaMeter', () => {
  it('never allows more than the hourly quota in any sliding hour, and says when sending resumes', () => {
    let now = T0;
    const q = new QuotaMeter({ hour: 3 }, undefined, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(q.acquire().ok, true);
      now += 60_000;
    }
    const d = q.acquire();
    assert.ok(!d.ok);
    assert.equal(d.until, T0 + 3_600_000);
    assert.match(d.reason, /hourly quota of 3/);
    now = T0 + 3_600_000;
    assert.equal(q.acquire().ok, true);
    assert.equal(q.acquire().ok, false);
    const u = q.usage();
    assert.equal(u.hour.used, 3);
    assert.equal(u.hour.limit, 3);
    assert.equal(u.blockedUntil, new Date(T0 + 60_000 + 3_600_000).toISOString());
  });

  it('refund gives the slot back when nothing was sent', () => {
    const q = new QuotaMeter({ hour: 1 }, undefined, () => T0);
    assert.equal(q.acquire().ok, true);
    q.refund();
    assert.equal(q.acquire().ok, true);
    assert.equal(q.acquire().ok, false);
  });

  it('monthly quota holds until the first of next month (UTC)', () => {
    let now = T0;
    const q = new QuotaMeter({ month: 2 }, undefined, () => now);
    q.acquire();
    q.acquire();
    const d = q.acquire();
    assert.ok(!d.ok);
    assert.equal(d.until, Date.UTC(2026, 11, 1));
    now = Date.UTC(2026, 11, 1, 0, 0, 1);
    assert.equal(q.acquire().ok, true);
    assert.equal(q.usage().month.period, '2026-12');
    assert.equal(nextMonthStart(Date.UTC(2026, 11, 31, 23)), Date.UTC(2027, 0, 1));
  });

  it('an upstream quota 421 blocks sending until the window resets, even without a configured quota', () => {
    let now = T0;
    const q = new QuotaMeter({}, undefined, () => now);
    assert.equal(q.acquire().ok, true);
    now += 10 * 60_000;
    const until = q.onUpstreamQuota('hour', '421 4.7.0 Hourly message quota exceeded, try again later');
    assert.equal(until, T0 + 3_600_000);
    const d = q.acquire();
    assert.ok(!d.ok && /smarthost hourly quota/.test(d.reason));
    now = until;
    assert.equal(q.acquire().ok, true);
    q.onUpstreamQuota('month', '421 4.7.0 Monthly message quota exceeded');
    assert.equal(q.usage().blockedUntil, new Date(Date.UTC(2026, 11, 1)).toISOString());
    q.clearBlock();
    assert.equal(q.check().ok, true);
  });

  it('recognises quota replies and nothing else', () => {
    assert.equal(quotaReply('421 4.7.0 Hourly message quota exceeded, try again later'), 'hour');
    assert.equal(quotaReply('421 4.7.0 Monthly message quota exceeded, try again later'), 'month');
    assert.equal(quotaReply('421 4.7.0 Too many connections for this account, try again later'), undefined);
    assert.equal(quotaReply('421 4.3.2 System busy, try again later'), undefined);
    assert.equal(quotaReply('550 5.7.1 quota exceeded'), undefined);
  });

  it('persists across restarts', async () => {
    const d = tempDir();
    try {
      const file = join(d.path, 'ops', 'quota.json');
      let now = T0;
      const a = new QuotaMeter({ hour: 2, month: 10 }, file, () => now);
      await a.load();
      a.acquire();
      a.acquire();
      await a.persist();
      now += 1000;
      const b = new QuotaMeter({ hour: 2, month: 10 }, file, () => now);
      await b.load();
      assert.equal(b.acquire().ok, false);
      assert.equal(b.usage().month.used, 2);
    } finally {
      d.cleanup();
    }
  });
});
