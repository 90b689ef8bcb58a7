// The receiver -> scheduler hand-off cache must stay bounded (count and bytes) whatever the queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueRecord } from '../../src/relay/types.js';
import { bodyStream, WarmCache } from '../../src/relay/warm.js';

function rec(id: string): QueueRecord {
  const now = new Date().toISOString();
  return { v: 1, id, sender: 'a@b.test', recipients: [{ address: 'c@d.test', status: 'pending' }], size: 10, createdAt: now, attempts: 0, nextAttemptAt: now, client: '127.0.0.1' };
}

test('bounded by entries and by bytes; take hands over once; retain drops the rest', async () => {
  const w = new WarmCache(2, 100);
  w.add({ record: rec('A'), body: Buffer.alloc(60) });
  w.add({ record: rec('B'), body: Buffer.alloc(60) }); // over 100 bytes: not kept
  w.add({ record: rec('C') });
  w.add({ record: rec('D') }); // over 2 entries: not kept
  assert.equal(w.size, 2);
  assert.equal(w.take('B'), undefined);
  assert.equal(w.take('D'), undefined);
  assert.equal(w.take('A')?.body?.length, 60);
  assert.equal(w.take('A'), undefined);
  w.add({ record: rec('E'), body: Buffer.alloc(90) }); // bytes freed by taking A
  assert.equal(w.size, 2);
  w.retain((id) => id === 'E');
  assert.equal(w.size, 1);
  assert.equal(w.take('C'), undefined);
  const chunks: Buffer[] = [];
  for await (const c of bodyStream(Buffer.from('hello'))) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'hello');
});
