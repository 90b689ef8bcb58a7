import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyWindow, expired, retryDelay } from '../../src/relay/backoff.js';

test('retry delay doubles from the base, is capped, and jitters +-20%', () => {
  const mid = () => 0.5;
  const p = { baseMs: 60_000, maxMs: 3_600_000 };
  assert.deepEqual([1, 2, 3, 4, 7, 8, 50].map((n) => retryDelay(n, p, mid)), [60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000, 3_600_000]);
  assert.equal(retryDelay(1, p, () => 0), 48_000);
  assert.equal(retryDelay(1, p, () => 1), 72_000);
});

test('expiry after the max queue lifetime', () => {
  const created = '2026-01-01T00:00:00.000Z';
  const t0 = Date.parse(created);
  assert.equal(expired(created, 5 * 86_400_000, t0 + 5 * 86_400_000 - 1), false);
  assert.equal(expired(created, 5 * 86_400_000, t0 + 5 * 86_400_000), true);
});

test('concurrency window drops on 421 (never below 1) and recovers after clean deliveries', () => {
  const w = new ConcurrencyWindow(5, 3);
  for (let i = 0; i < 10; i++) w.onThrottle();
  assert.equal(w.current, 1);
  w.onSuccess();
  w.onSuccess();
  assert.equal(w.current, 1);
  w.onSuccess();
  assert.equal(w.current, 2);
  for (let i = 0; i < 100; i++) w.onSuccess();
  assert.equal(w.current, 5);
});
