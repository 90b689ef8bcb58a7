// The scheduler keeps only a bounded part of deferred/ in memory (DeferredIndex): with a small
// bound, everything on disk is still delivered exactly once, in due order, and `omr queue`
// hold/delete/flush work on messages that are only on disk.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deleteMessages, flushMessages, holdMessages, releaseMessages } from '../../src/relay/queue-ops.js';
import { fakeRecord } from '../helpers/queue-spool.js';
import { relayOptions, startSink, tempSpool, waitFor, withRelay, type Sink } from '../helpers/relay.js';

const N = 10;

/** `count` deferred messages (record + body) with due times in a shuffled order; ids by due. */
function deferredSpool(root: string, count: number, firstDue: number): string[] {
  for (const d of ['tmp', 'data', 'control', 'journal', 'incoming', 'active', 'deferred', 'hold', 'corrupt']) mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
  const t0 = Date.now() - 60_000;
  const byDue: string[] = [];
  for (let i = 0; i < count; i++) {
    const rec = fakeRecord(i, 'deferred', t0);
    const body = Buffer.from(`Subject: ${rec.id}\r\nMessage-ID: <${rec.id}@test>\r\n\r\nbody ${i}\r\n`);
    rec.size = body.length;
    rec.recipients = rec.recipients.map((r) => ({ ...r, status: 'deferred' as const }));
    writeFileSync(join(root, 'data', rec.id), body);
    const path = join(root, 'deferred', `${rec.id}.json`);
    writeFileSync(path, JSON.stringify(rec) + '\n');
    // 7 is coprime with the counts used: a permutation, so due order differs from id order.
    const rank = (i * 7) % count;
    const due = (firstDue + rank * 1000) / 1000;
    utimesSync(path, due, due);
    byDue[rank] = rec.id;
  }
  return byDue;
}

const subjects = (sink: Sink): string[] => sink.messages.map((m) => /Subject: (\S+)/.exec(m.raw.toString('latin1'))?.[1] ?? '?');

describe('bounded deferred index', () => {
  it('delivers 3 x N deferred messages from disk exactly once, in due order, never holding more than N in memory', async () => {
    const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
    const spool = await tempSpool();
    try {
      const byDue = deferredSpool(spool.dir, 3 * N, Date.now() - 100_000);
      // One lane, one message at a time: delivery order is claim order.
      await withRelay(relayOptions(spool.dir, sink, { maxConnections: 1, maxActive: 1, deferredInMemory: N }), async (relay) => {
        let maxInMemory = 0;
        const sample = setInterval(() => (maxInMemory = Math.max(maxInMemory, relay.scheduler.deferredStatus().inMemory)), 5);
        try {
          await waitFor(() => sink.messages.length >= 3 * N, 30_000, `${3 * N} deliveries`);
          await waitFor(() => relay.scheduler.deferredStatus().count === 0, 5000, 'deferred count 0');
        } finally {
          clearInterval(sample);
        }
        assert.ok(maxInMemory <= N, `at most ${N} in memory (saw ${maxInMemory})`);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(subjects(sink), byDue, 'each exactly once, earliest due first');
        assert.deepEqual(readdirSync(join(spool.dir, 'deferred')), []);
      });
    } finally {
      await sink.close();
      await spool.cleanup();
    }
  });

  it('hold, delete, flush and release reach messages that are only on disk; status counts all of deferred/', async () => {
    const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
    const spool = await tempSpool();
    try {
      const byDue = deferredSpool(spool.dir, 3 * N, Date.now() + 3_600_000);
      await withRelay(relayOptions(spool.dir, sink, { deferredInMemory: N }), async (relay) => {
        assert.deepEqual(relay.scheduler.deferredStatus(), { count: 3 * N, inMemory: N, complete: false });
        assert.equal(relay.scheduler.counts().deferred, 3 * N);
        const [held, deleted] = [byDue[3 * N - 1]!, byDue[3 * N - 2]!];
        assert.deepEqual((await holdMessages(relay.spool, [held], process.pid)).done, [held]);
        assert.deepEqual((await deleteMessages(relay.spool, [deleted], process.pid)).done, [deleted]);
        const flushed = await flushMessages(relay.spool, undefined, process.pid);
        assert.equal(flushed.done.length, 3 * N - 2);
        await waitFor(() => sink.messages.length >= 3 * N - 2, 20_000, 'flushed deliveries');
        await new Promise((r) => setTimeout(r, 500));
        const got = subjects(sink);
        assert.equal(got.length, 3 * N - 2, 'nothing delivered twice');
        assert.deepEqual([...got].sort(), byDue.filter((id) => id !== held && id !== deleted).sort());
        assert.ok(existsSync(join(spool.dir, 'hold', `${held}.json`)), 'held message kept in hold/');
        assert.ok(!existsSync(join(spool.dir, 'data', deleted)), 'deleted message body gone');
        assert.deepEqual(readdirSync(join(spool.dir, 'deferred')), []);
        // Released: goes out once too.
        assert.deepEqual((await releaseMessages(relay.spool, [held], process.pid)).done, [held]);
        await waitFor(() => sink.messages.length >= 3 * N - 1, 10_000, 'released delivery');
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(subjects(sink).slice(3 * N - 2), [held]);
      });
    } finally {
      await sink.close();
      await spool.cleanup();
    }
  });
});
