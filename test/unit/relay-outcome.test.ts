import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyResult } from '../../src/relay/outcome.js';
import type { QueueRecord } from '../../src/relay/types.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const P = { retryBaseMs: 60_000, retryMaxMs: 3_600_000, maxQueueLifetimeMs: 5 * 86_400_000, random: () => 0.5 };

function rec(over: Partial<QueueRecord> = {}): QueueRecord {
  return {
    v: 1, id: 'Q1', sender: 's@office.example', size: 10, createdAt: new Date(NOW - 1000).toISOString(), attempts: 0,
    nextAttemptAt: new Date(NOW).toISOString(), client: '192.168.1.5',
    recipients: [{ address: 'a@x', status: 'pending' }, { address: 'b@x', status: 'pending' }],
    ...over,
  };
}

test('all accepted: done, no DSN', () => {
  const a = applyResult(rec(), { accepted: ['a@x', 'b@x'], rejected: [], response: '250 ok' }, P, NOW);
  assert.equal(a.step, 'done');
  assert.deepEqual(a.record.recipients.map((r) => r.status), ['sent', 'sent']);
  assert.equal(a.dsnDue.length, 0);
});

test('one 5xx RCPT: other sent, failed one due for DSN, message done', () => {
  const a = applyResult(rec(), { accepted: ['b@x'], rejected: [{ address: 'a@x', failure: { responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no' } }] }, P, NOW);
  assert.equal(a.step, 'done');
  assert.deepEqual(a.dsnDue, [{ address: 'a@x', reply: '550 5.1.1 no' }]);
});

test('one 4xx RCPT: deferred with the first retry ~1 min later; accepted one not retried', () => {
  const a = applyResult(rec(), { accepted: ['a@x'], rejected: [{ address: 'b@x', failure: { responseCode: 450, command: 'RCPT TO', response: '450 busy' } }] }, P, NOW);
  assert.equal(a.step, 'defer');
  assert.deepEqual(a.record.recipients.map((r) => r.status), ['sent', 'deferred']);
  assert.equal(a.record.nextAttemptAt, new Date(NOW + 60_000).toISOString());
  assert.equal(a.record.attempts, 1);
});

test('421 throttles and defers everything; AUTH failure pauses without counting an attempt', () => {
  const t = applyResult(rec(), { accepted: [], rejected: [], error: { code: 'EPROTOCOL', responseCode: 421, command: 'CONN', response: '421 busy', message: 'x' } }, P, NOW);
  assert.equal(t.step, 'throttle');
  assert.deepEqual(t.record.recipients.map((r) => r.status), ['deferred', 'deferred']);
  const p = applyResult(rec(), { accepted: [], rejected: [], error: { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN', response: '535 bad', message: 'x' } }, P, NOW);
  assert.equal(p.step, 'pause');
  assert.equal(p.record.attempts, 0);
  assert.equal(p.dsnDue.length, 0);
});

test('5xx DATA fails every open recipient; already-sent ones stay sent', () => {
  const r = rec({ recipients: [{ address: 'a@x', status: 'sent' }, { address: 'b@x', status: 'deferred' }] });
  const a = applyResult(r, { accepted: [], rejected: [], error: { code: 'EMESSAGE', responseCode: 554, command: 'DATA', response: '554 no', message: 'x' } }, P, NOW);
  assert.equal(a.step, 'done');
  assert.deepEqual(a.record.recipients.map((x) => x.status), ['sent', 'failed']);
  assert.deepEqual(a.dsnDue.map((d) => d.address), ['b@x']);
});

test('a temporary failure past the queue lifetime becomes a bounce', () => {
  const old = rec({ createdAt: new Date(NOW - 6 * 86_400_000).toISOString(), attempts: 40 });
  const a = applyResult(old, { accepted: [], rejected: [], error: { code: 'ECONNECTION', message: 'refused' } }, P, NOW);
  assert.equal(a.step, 'done');
  assert.equal(a.rule, 'expired');
  assert.equal(a.dsnDue.length, 2);
  assert.match(a.dsnDue[0]!.reply, /expired after 120h/);
});
