// The list index behind `omr queue list` (issue 9): listing from it gives exactly what reading
// every record file gives, also when entries are stale, missing, torn or odd, and records moved.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderJson } from '../../src/cli/output.js';
import { silentLogger } from '../../src/core/logger.js';
import { makeEnvelope } from '../../src/core/result.js';
import { writeSnapshot } from '../../src/relay/list-index/compact.js';
import { CLEAN_MARKER, indexDir, listSegments, segmentName } from '../../src/relay/list-index/format.js';
import { indexTrusted, ListIndex } from '../../src/relay/list-index/read.js';
import { CliListIndex, RelayListIndex } from '../../src/relay/list-index/writer.js';
import { listMessages } from '../../src/relay/queue-ops.js';
import { QueueReader, type QueueMessage } from '../../src/relay/queue-reader.js';
import { Spool } from '../../src/relay/spool.js';
import { fakeRecord, fillSpool } from '../helpers/queue-spool.js';
import { tempDir } from '../helpers/tmp.js';

/** The --json document (long arrays: one element per line, raw JSON copied when known). */
function doc(messages: QueueMessage[]): string {
  return renderJson(makeEnvelope('queue list', { checks: [], data: { spool: 'x', relayRunning: false, messages } }, new Date(0), new Date(5)));
}

function byFiles(root: string): string {
  return doc(new QueueReader(root).all());
}

function byIndex(root: string): { text: string; reader: QueueReader } {
  const reader = new QueueReader(root, ListIndex.load(root));
  return { text: doc(reader.all()), reader };
}

function snapshot(root: string): void {
  writeSnapshot(root, 0, 1);
  writeFileSync(join(indexDir(root), CLEAN_MARKER), '');
}

test('list index: 1,500 records listed from the index only, byte for byte the per-file listing', () => {
  const tmp = tempDir();
  try {
    fillSpool(tmp.path, 1500);
    snapshot(tmp.path);
    const { text, reader } = byIndex(tmp.path);
    assert.deepEqual(reader.stats, { indexed: 1500, files: 0 });
    assert.equal(text, byFiles(tmp.path));
    // Objects listed from the index still behave as plain messages (human output, short JSON).
    const list = reader.all();
    const plain = new QueueReader(tmp.path).all();
    assert.deepEqual(JSON.parse(JSON.stringify(list)), JSON.parse(JSON.stringify(plain)));
    assert.equal(list[7]!.sender, plain[7]!.sender);
    assert.deepEqual(list[7]!.recipients, plain[7]!.recipients);
    assert.equal(list[7]!.nextAttemptAt, plain[7]!.nextAttemptAt);
    assert.equal(doc(list.slice(0, 3)), doc(plain.slice(0, 3)));
  } finally {
    tmp.cleanup();
  }
});

test('list index: stale, missing, torn and odd entries and moved records fall back to the files', async () => {
  const tmp = tempDir();
  try {
    const filled = fillSpool(tmp.path, 1200);
    snapshot(tmp.path);
    const spool = new Spool(tmp.path);
    spool.listIndex = new CliListIndex(tmp.path);
    const of = (state: string): typeof filled => filled.filter((f) => f.state === state);
    // Rewritten with the index told (attempts, reply): the newer entry wins.
    const re = of('deferred')[0]!;
    await spool.writeRecord('deferred', { ...re.record, attempts: 9, lastReply: '421 4.3.2 later', nextAttemptAt: new Date(1_800_000_000_000).toISOString() });
    // Rewritten without the index knowing (a crash lost the append): must not list the old entry...
    // which the index cannot know; this is why a relay drops its index after a crash. Here: a new
    // record the index lacks entirely is read from its file.
    const lost = fakeRecord(5000, 'incoming');
    await new Spool(tmp.path).writeRecord('incoming', lost);
    // Moved by rename: deferred -> hold, hold -> incoming, incoming -> deferred (no due known).
    const mv = (id: string, from: string, to: string): void => renameSync(join(tmp.path, from, `${id}.json`), join(tmp.path, to, `${id}.json`));
    mv(of('deferred')[1]!.record.id, 'deferred', 'hold');
    mv(of('hold')[0]!.record.id, 'hold', 'incoming');
    const toDeferred = of('incoming')[0]!.record.id;
    mv(toDeferred, 'incoming', 'deferred');
    utimesSync(join(tmp.path, 'deferred', `${toDeferred}.json`), new Date(1_750_000_000_123), new Date(1_750_000_000_123));
    // Next attempt changed through the spool (flush): a D entry.
    await spool.setDue('deferred', of('deferred')[2]!.record.id, 1_760_000_000_777);
    // Deleted: listed by neither.
    await spool.remove(of('incoming')[1]!.record.id, 'incoming');
    // Non-ASCII content: not indexable, read from its file.
    const odd = { ...fakeRecord(5001, 'incoming'), sender: 'jörg@büro.example' };
    await spool.writeRecord('incoming', odd);
    // A torn last line (a write in progress).
    const dir = indexDir(tmp.path);
    appendFileSync(join(dir, segmentName(listSegments(dir).at(-1)!)), `R${of('active')[0]!.record.id}\t\t2099-01-01T00:00:00.000Z\t"sender":"torn`);
    const { text, reader } = byIndex(tmp.path);
    assert.equal(text, byFiles(tmp.path));
    // Read from files: the one the index lacks, the non-ASCII one, the one moved into deferred.
    assert.equal(reader.stats.files, 3);
    const listed = JSON.parse(text).data.messages as QueueMessage[];
    assert.equal(listed.find((m) => m.id === re.record.id)!.attempts, 9);
    assert.equal(listed.find((m) => m.id === odd.id)!.sender, 'jörg@büro.example');
    // (utimes keeps microseconds: 777 ms can come back as 776.999)
    assert.ok(Math.abs(Date.parse(listed.find((m) => m.id === of('deferred')[2]!.record.id)!.nextAttemptAt!) - 1_760_000_000_777) <= 1);
    assert.ok(Math.abs(Date.parse(listed.find((m) => m.id === toDeferred)!.nextAttemptAt!) - 1_750_000_000_123) <= 1);
    // A compaction keeps exactly that, now without file reads except the odd one.
    writeSnapshot(tmp.path, listSegments(dir).at(-1)!, listSegments(dir).at(-1)! + 1);
    assert.equal(listSegments(dir).length, 1);
    const after = byIndex(tmp.path);
    assert.equal(after.text, text);
    assert.equal(after.reader.stats.files, 1);
  } finally {
    tmp.cleanup();
  }
});

test('list index: trusted only with a running relay or after a clean stop; listMessages ignores it otherwise', async () => {
  const tmp = tempDir();
  try {
    const filled = fillSpool(tmp.path, 20, ['incoming']);
    snapshot(tmp.path);
    assert.equal(indexTrusted(tmp.path, false), true);
    // A crash after this rewrite lost its entry: the index is stale for it.
    await new Spool(tmp.path).writeRecord('incoming', { ...filled[0]!.record, attempts: 7 });
    assert.equal((await listMessages(new Spool(tmp.path), false))[0]!.attempts, 0, 'marker present: the index is used');
    // Without the marker (a relay crashed, none runs now) the index may be stale: not used.
    rmSync(join(indexDir(tmp.path), CLEAN_MARKER));
    assert.equal(indexTrusted(tmp.path, false), false);
    assert.equal(indexTrusted(tmp.path, true), true);
    assert.equal((await listMessages(new Spool(tmp.path), false))[0]!.attempts, 7, 'no marker, no relay: the files');
  } finally {
    tmp.cleanup();
  }
});

test('relay index: appends, compacts in a child process, marks a clean stop; a crash drops it and the restart rebuilds it', async () => {
  const tmp = tempDir();
  try {
    fillSpool(tmp.path, 300);
    const spool = new Spool(tmp.path);
    let index = await RelayListIndex.open(tmp.path, silentLogger, { compactMinBytes: 20_000, compactDelayMs: 0 });
    spool.listIndex = index;
    // Not trusted (no marker): the start-up snapshot reads every record file.
    await waitUntil(() => index.compactions === 1);
    assert.equal(byIndex(tmp.path).reader.stats.files, 0);
    // Enough appends to pass twice the snapshot's size: sealed and compacted again.
    for (let i = 0; i < 1000; i++) {
      const rec = fakeRecord(1000 + i, 'incoming');
      writeFileSync(join(tmp.path, 'incoming', `${rec.id}.json`), JSON.stringify(rec));
      index.record(rec, 'incoming');
    }
    await spool.writeRecord('deferred', { ...fakeRecord(2500, 'deferred'), attempts: 3 });
    await waitUntil(() => index.compactions >= 2);
    await index.close();
    assert.equal(existsSync(join(indexDir(tmp.path), CLEAN_MARKER)), true);
    const listed = byIndex(tmp.path);
    assert.equal(listed.reader.stats.files, 0);
    assert.equal(listed.text, byFiles(tmp.path));
    // Next start after the clean stop: trusted, kept.
    index = await RelayListIndex.open(tmp.path, silentLogger);
    assert.equal(existsSync(join(indexDir(tmp.path), CLEAN_MARKER)), false);
    assert.equal(byIndex(tmp.path).reader.stats.files, 0);
    // "Crash": no close. The next start drops the segments and rebuilds them from the files.
    await spool.writeRecord('incoming', { ...fakeRecord(3000, 'incoming') });
    await new Promise((r) => setTimeout(r, 50));
    index = await RelayListIndex.open(tmp.path, silentLogger, { compactDelayMs: 0 });
    await waitUntil(() => index.compactions === 1);
    const rebuilt = byIndex(tmp.path);
    assert.equal(rebuilt.reader.stats.files, 0);
    assert.equal(rebuilt.text, byFiles(tmp.path));
    await index.close();
    assert.deepEqual(readdirSync(indexDir(tmp.path)).filter((n) => n.endsWith('.tmp')), []);
  } finally {
    tmp.cleanup();
  }
});

async function waitUntil(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
