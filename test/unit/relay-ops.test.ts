import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { parseRateList } from '../../src/core/rate.js';
import { dedupeKey, messageIdOf, operationsHooks } from '../../src/relay/ops.js';
import type { QueueRecord } from '../../src/relay/types.js';

const rec = (over: Partial<QueueRecord> = {}): QueueRecord => ({
  v: 1, id: 'Q', sender: 's@x', recipients: [{ address: 'a@x', status: 'pending' }], size: 1, createdAt: '', attempts: 0, nextAttemptAt: '',
  client: '192.168.1.9', bodyHash: 'h1', ...over,
});

test('Message-ID extraction (folded, case-insensitive) and dedupe key', () => {
  assert.equal(messageIdOf('Subject: x\r\nMessage-Id:\r\n <AbC@x>\r\n'), '<abc@x>');
  assert.equal(messageIdOf('Subject: x\r\n'), '');
  assert.notEqual(dedupeKey(rec(), '<a@x>'), dedupeKey(rec({ bodyHash: 'h2' }), '<a@x>'));
  assert.equal(dedupeKey(rec({ recipients: [{ address: 'B@x', status: 'pending' }, { address: 'a@x', status: 'pending' }] }), ''),
    dedupeKey(rec({ recipients: [{ address: 'a@x', status: 'pending' }, { address: 'b@x', status: 'pending' }] }), ''));
});

test('dedupe within the window, client rate with 4xx, hourly quota gate (fake clock)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'omr-ops-'));
  try {
    const body = join(dir, 'b');
    await writeFile(body, 'Message-ID: <m1@x>\r\n\r\nhi\r\n');
    let t = 1_000_000;
    const h = operationsHooks({ clientRate: parseRateList('2/min'), dedupeWindowMs: 600_000, quotaHour: 2, now: () => t }, silentLogger);
    assert.equal(await h.beforeCommit!(rec(), body), undefined);
    assert.equal(await h.beforeCommit!(rec(), body), 'duplicate');
    assert.equal(await h.beforeCommit!(rec({ bodyHash: 'h2' }), body), undefined);
    const refused = await h.beforeCommit!(rec({ bodyHash: 'h3' }), body);
    assert.ok(refused && refused !== 'duplicate' && refused.code === 450, 'third message in a minute gets 450');
    assert.equal(await h.beforeCommit!(rec({ bodyHash: 'h4', client: '192.168.1.10' }), body), undefined, 'other clients unaffected');
    t += 61_000;
    assert.equal(await h.beforeCommit!(rec({ bodyHash: 'h3' }), body), undefined, 'the refused message is accepted later, not taken for a duplicate');
    t += 600_001;
    assert.equal(await h.beforeCommit!(rec(), body), undefined, 'window over: not a duplicate any more');

    assert.equal(h.sendGate!(), undefined);
    h.onAttempt!(rec(), { step: 'done', rule: 'delivered', reply: '250', accepted: 1 });
    h.onAttempt!(rec(), { step: 'defer', rule: 'x', reply: '421', accepted: 0 });
    assert.equal(h.sendGate!(), undefined);
    h.onAttempt!(rec(), { step: 'done', rule: 'delivered', reply: '250', accepted: 1 });
    const g = h.sendGate!();
    assert.ok(g && g.waitMs > 3_000_000 && /hourly quota of 2/.test(g.reason));
    t += 3_600_001;
    assert.equal(h.sendGate!(), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
