import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryOutcome, refusalReason } from '../../src/ops/index.js';
import { OUTCOMES, REJECT_REASONS } from '../../src/ops/metrics.js';

test('delivery outcomes map the scheduler step/rule onto the bounded metric labels', () => {
  const rows: Array<[string, string, string]> = [
    ['done', 'delivered', 'delivered'], ['done', 'rcpt-5xx', 'failed'], ['done', 'message-5xx', 'failed'], ['done', 'expired', 'expired'],
    ['defer', 'network', 'deferred'], ['throttle', '421-busy', 'throttled'], ['pause', 'auth-failed', 'paused'], ['pause', 'account-suspended', 'paused'],
  ];
  for (const [step, rule, want] of rows) {
    assert.equal(deliveryOutcome(step, rule), want, `${step}/${rule}`);
    assert.ok((OUTCOMES as readonly string[]).includes(want));
  }
});

test('receiver refusal reasons map onto the bounded metric labels', () => {
  const rows: Array<[string, string]> = [['size', 'size'], ['bare-lf', 'smuggling'], ['bare-cr', 'smuggling'], ['line-too-long', 'line-length'], ['header-too-large', 'header-size'], ['whatever', 'other']];
  for (const [reason, want] of rows) {
    assert.equal(refusalReason(reason), want);
    assert.ok((REJECT_REASONS as readonly string[]).includes(want));
  }
});
