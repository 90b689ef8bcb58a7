import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, truncate, appendFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeEntry, ENTRY_MESSAGE, HEADER_BYTES, payloadIntact, segmentName } from '../../src/relay/journal/format.js';
import { decodeHeader } from '../helpers/journal-header.js';
import { Journal } from '../../src/relay/journal/journal.js';
import { scanJournal } from '../../src/relay/journal/scan.js';
import { drainJournal } from '../../src/relay/journal/spool-move.js';
import { listMessages } from '../../src/relay/queue-ops.js';
import { Spool } from '../../src/relay/spool.js';
import type { QueueRecord } from '../../src/relay/types.js';

const rec = (id: string, over: Partial<QueueRecord> = {}): QueueRecord => ({
  v: 1, id, sender: 's@x', recipients: [{ address: 'r@x', status: 'pending' }], size: 3, createdAt: new Date().toISOString(),
  attempts: 0, nextAttemptAt: new Date().toISOString(), client: '10.0.0.1', ...over,
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'omr-journal-unit-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const open = (dir: string, over: Partial<Parameters<typeof Journal.open>[1]> = {}) =>
  Journal.open(dir, { syncDir: async () => undefined, ...over });

test('journal entry: header and payload round-trip; any flipped byte is detected', () => {
  const { bufs } = encodeEntry(ENTRY_MESSAGE, Buffer.from('{"a":1}'), [Buffer.from('body '), Buffer.from('bytes')]);
  const all = Buffer.concat(bufs);
  const h = decodeHeader(all.subarray(0, HEADER_BYTES));
  assert.deepEqual(h && { type: h.type, recordLen: h.recordLen, bodyLen: h.bodyLen }, { type: ENTRY_MESSAGE, recordLen: 7, bodyLen: 10 });
  assert.ok(payloadIntact(h!, all.subarray(HEADER_BYTES)));
  for (const i of [0, 4, 9, 21]) {
    const bad = Buffer.from(all);
    bad[i]! ^= 0x40;
    assert.equal(decodeHeader(bad.subarray(0, HEADER_BYTES)), undefined, `header byte ${i}`);
  }
  const bad = Buffer.from(all);
  bad[HEADER_BYTES + 9]! ^= 1;
  assert.equal(payloadIntact(h!, bad.subarray(HEADER_BYTES)), false);
});

test('journal: concurrent appends share fdatasyncs; read gives record and exact body back', async () => {
  await withDir(async (dir) => {
    const { journal } = await open(dir);
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.from(`Subject: ${i}\r\n\r\n${'x'.repeat(i * 100)}\r\n`));
    const refs = await Promise.all(bodies.map((b, i) => journal.append(rec(`ID${i}`), [b])));
    assert.ok(journal.syncs >= 1 && journal.syncs < 50, `syncs: ${journal.syncs}`);
    for (const [i, ref] of refs.entries()) {
      const back = await journal.read(ref);
      assert.equal(back.record.id, `ID${i}`);
      assert.ok(back.body.equals(bodies[i]!));
    }
    assert.equal(journal.live, 50);
    await journal.close();
  });
});

test('journal: done entries survive a restart; torn tails are ignored; alreadySpooled skips moved ones', async () => {
  await withDir(async (dir) => {
    const { journal } = await open(dir);
    const refs = await Promise.all(['A', 'B', 'C', 'D'].map((id) => journal.append(rec(id), [Buffer.from(`body ${id}\r\n`)])));
    journal.markDone('B', refs[1]!);
    await journal.close();
    // A crash in the middle of a later write: half an entry at the end of the segment.
    const seg = join(dir, segmentName(1));
    const half = Buffer.concat(encodeEntry(ENTRY_MESSAGE, Buffer.from(JSON.stringify(rec('E'))), [Buffer.from('never acknowledged')]).bufs);
    await appendFile(seg, half.subarray(0, half.length - 5));
    const scan = scanJournal(dir);
    assert.deepEqual(scan.live.map((m) => m.record.id), ['A', 'C', 'D']);
    assert.deepEqual(scan.tornSegments, [1]);
    const again = await open(dir, { alreadySpooled: (id) => id === 'C' });
    assert.deepEqual(again.live.map((m) => m.record.id), ['A', 'D']);
    // New entries go to a fresh segment, never after the torn tail.
    const ref = await again.journal.append(rec('F'), [Buffer.from('f')]);
    assert.equal(ref.seg, 2);
    assert.equal((await again.journal.read(again.live[0]!)).body.toString(), 'body A\r\n');
    await again.journal.close();
    assert.deepEqual(scanJournal(dir).live.map((m) => m.record.id), ['A', 'C', 'D', 'F']);
  });
});

test('journal: a zeroed tail (preallocated or lost pages) ends the scan without error', async () => {
  await withDir(async (dir) => {
    const { journal } = await open(dir);
    await journal.append(rec('A'), [Buffer.from('a')]);
    await journal.close();
    const seg = join(dir, segmentName(1));
    await truncate(seg, (await stat(seg)).size + 4096);
    assert.deepEqual(scanJournal(dir).live.map((m) => m.record.id), ['A']);
  });
});

test('journal: segments rotate and are deleted oldest first once nothing in them is live', async () => {
  await withDir(async (dir) => {
    const { journal } = await open(dir, { maxSegmentBytes: 200 });
    const refs = [];
    for (const id of ['A', 'B', 'C', 'D']) refs.push(await journal.append(rec(id), [Buffer.alloc(150, 0x61)]));
    assert.deepEqual(refs.map((r) => r.seg), [1, 2, 3, 4]);
    // B is done but A is not: nothing can be deleted yet (segment 1 must go first).
    journal.markDone('B', refs[1]!);
    await new Promise((r) => setTimeout(r, 50));
    const names = async (): Promise<string[]> => (await readdir(dir)).sort();
    assert.deepEqual((await names()).slice(0, 4), [1, 2, 3, 4].map(segmentName));
    journal.markDone('A', refs[0]!);
    await new Promise((r) => setTimeout(r, 50));
    const left = await names();
    assert.ok(!left.includes(segmentName(1)) && !left.includes(segmentName(2)), left.join());
    assert.ok(left.includes(segmentName(3)) && left.includes(segmentName(4)), left.join());
    await journal.close();
    // The done entry for C lands in segment 4 (the newest); a restart still knows C is done.
    const again = await open(dir);
    assert.deepEqual(again.live.map((m) => m.record.id), ['C', 'D']);
    again.journal.markDone('C', again.live[0]!);
    await again.journal.append(rec('E'), [Buffer.from('e')]);
    await again.journal.close();
    assert.deepEqual(scanJournal(dir).live.map((m) => m.record.id), ['D', 'E']);
  });
});

test('journal: queue list shows journaled messages; drain moves them into incoming/ for a stopped relay', async () => {
  await withDir(async (dir) => {
    const spool = new Spool(join(dir, 'spool'));
    await spool.init();
    const { journal } = await open(spool.dir('journal'));
    await journal.append(rec('J1', { client: '10.0.0.7' }), [Buffer.from('Subject: one\r\n\r\nbody\r\n')]);
    await journal.append(rec('J2'), [Buffer.from('Subject: two\r\n\r\nbody\r\n')]);
    await journal.close();
    const listed = await listMessages(spool);
    assert.deepEqual(listed.map((m) => [m.id, m.state, m.client]), [['J1', 'incoming', '10.0.0.7'], ['J2', 'incoming', '10.0.0.1']]);
    assert.deepEqual(await spool.counts(), { incoming: 2, active: 0, deferred: 0, hold: 0 });
    assert.equal(await drainJournal(spool), 2);
    assert.deepEqual(await spool.ids('incoming'), ['J1', 'J2']);
    assert.deepEqual(await readdir(spool.dir('journal')), []);
    assert.equal((await spool.readRecord('incoming', 'J1')).client, '10.0.0.7');
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(spool.bodyPath('J2'), 'utf8'), 'Subject: two\r\n\r\nbody\r\n');
    assert.deepEqual(await spool.counts(), { incoming: 2, active: 0, deferred: 0, hold: 0 });
  });
});
