// The extension points later features (rate limits, dedupe, quotas, accounting) plug into.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { startRelay } from '../../src/relay/relay.js';
import type { QueueRecord } from '../../src/relay/types.js';
import { rawClient, relayOptions, sampleMessage, sendRaw, startSink, tempSpool, waitFor } from '../helpers/relay.js';

test('hooks: onConnect refusal, beforeCommit duplicate/refusal, sendGate, onQueued/onAttempt, status.json', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  const seen = new Set<string>();
  const queued: QueueRecord[] = [];
  const attempts: string[] = [];
  let gateUntil = Date.now() + 1500;
  let refuseConnect = false;
  const relay = await startRelay(relayOptions(spool.dir, sink), silentLogger, {
    onConnect: () => (refuseConnect ? { code: 421, text: '4.7.0 slow down' } : undefined),
    beforeCommit: (rec) => {
      if (rec.sender === 'spam@office.example') return { code: 450, text: '4.7.1 rate limited' };
      if (seen.has(rec.bodyHash!)) return 'duplicate';
      seen.add(rec.bodyHash!);
      return undefined;
    },
    onQueued: (rec) => queued.push(rec),
    sendGate: () => (Date.now() < gateUntil ? { waitMs: gateUntil - Date.now(), reason: 'quota' } : undefined),
    onAttempt: (rec, r) => attempts.push(`${rec.id}:${r.step}`),
  });
  try {
    const port = relay.addresses[0]!.port;
    const body = sampleMessage(1);
    assert.match(await sendRaw(port, 'pc@office.example', ['a@example.net'], body), /^250 2\.0\.0 Ok: queued as/);
    assert.match(await sendRaw(port, 'pc@office.example', ['a@example.net'], body), /^250 2\.0\.0 Ok: duplicate/);
    await assert.rejects(sendRaw(port, 'spam@office.example', ['a@example.net'], sampleMessage(2)), /450 4\.7\.1 rate limited/);
    assert.equal(queued.length, 1);
    assert.match(queued[0]!.bodyHash!, /^[0-9a-f]{16}$/);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(sink.messages.length, 0, 'the send gate holds delivery back');
    await waitFor(() => sink.messages.length === 1, 10_000, 'delivery after the gate opens');
    await waitFor(() => attempts.length === 1);
    assert.match(attempts[0]!, /:done$/);
    refuseConnect = true;
    const c = await rawClient(port);
    assert.match(await c.reply(), /^421 4\.7\.0 slow down/);
    c.close();
    await waitFor(async () => {
      try {
        return JSON.parse(await readFile(join(spool.dir, 'status.json'), 'utf8')).pid === process.pid;
      } catch {
        return false;
      }
    }, 10_000, 'status.json');
    gateUntil = 0;
  } finally {
    await relay.stop();
    await sink.close();
    await spool.cleanup();
  }
});
