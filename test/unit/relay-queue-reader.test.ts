// The fast queue reader behind `omr queue list` (issue 9): complete, ordered, the contract's
// fields, robust against malformed records and records moving during the scan.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderJson } from '../../src/cli/output.js';
import { makeEnvelope } from '../../src/core/result.js';
import { listMessages } from '../../src/relay/queue-ops.js';
import { QueueReader, type QueueMessage } from '../../src/relay/queue-reader.js';
import { Spool } from '../../src/relay/spool.js';
import type { QueueState } from '../../src/relay/types.js';
import { fakeRecord, fillSpool, type FilledRecord } from '../helpers/queue-spool.js';
import { tempDir } from '../helpers/tmp.js';

function expected(f: FilledRecord): QueueMessage {
  const r = f.record;
  let next: string | null = r.nextAttemptAt;
  if (f.state === 'hold') next = null;
  if (f.state === 'deferred') next = new Date(Math.max(f.dueMs!, Date.parse(r.createdAt))).toISOString();
  return {
    id: r.id, state: f.state, sender: r.sender, size: r.size, createdAt: r.createdAt, attempts: r.attempts, nextAttemptAt: next,
    lastReply: r.lastReply ?? null, client: r.client,
    recipients: r.recipients.map((x) => ({ address: x.address, status: x.status, lastReply: x.lastReply ?? null })),
  };
}

test('lists 20,000 records: all of them, oldest first, exactly the contract fields', async () => {
  const tmp = tempDir();
  try {
    // Directory (hash) order differs from creation order: the listing must sort.
    const filled = fillSpool(tmp.path, 20_000);
    const list = await listMessages(new Spool(tmp.path));
    assert.equal(list.length, 20_000);
    const want = [...filled].sort((a, b) => (a.record.createdAt < b.record.createdAt ? -1 : a.record.createdAt > b.record.createdAt ? 1 : 0));
    for (let i = 0; i < list.length; i++) assert.deepEqual(list[i], expected(want[i]!), `message ${i}`);
    const states = new Set(list.map((m) => m.state));
    assert.deepEqual([...states].sort(), ['active', 'deferred', 'hold', 'incoming']);
    // Internal fields of the record stay out of the listing.
    assert.equal('helo' in list[0]!, false);
    assert.equal('bodyHash' in list[0]!, false);
  } finally {
    tmp.cleanup();
  }
});

test('skips malformed records and stray files; reads a record larger than the read buffer whole', () => {
  const tmp = tempDir();
  try {
    fillSpool(tmp.path, 3, ['incoming']);
    writeFileSync(join(tmp.path, 'incoming', 'BROKEN.json'), '{"v":1,"id":"BROK');
    writeFileSync(join(tmp.path, 'incoming', 'WRONGID.json'), JSON.stringify(fakeRecord(7, 'incoming')));
    writeFileSync(join(tmp.path, 'incoming', 'x.tmp'), 'not a record');
    const v2 = { ...fakeRecord(8, 'incoming'), v: 2 };
    writeFileSync(join(tmp.path, 'incoming', `${v2.id}.json`), JSON.stringify(v2));
    const big = fakeRecord(9, 'deferred');
    big.recipients = Array.from({ length: 900 }, (_, k) => ({ address: `r${k}-${'x'.repeat(60)}@dest.example`, status: 'deferred', lastReply: '451 4.4.1 try later' }));
    writeFileSync(join(tmp.path, 'deferred', `${big.id}.json`), JSON.stringify(big));
    assert.ok(JSON.stringify(big).length > 64 * 1024);
    const list = new QueueReader(tmp.path).all();
    assert.deepEqual(list.map((m) => m.id), [fakeRecord(0, 'incoming').id, fakeRecord(1, 'incoming').id, fakeRecord(2, 'incoming').id, big.id]);
    assert.equal(list[3]!.recipients.length, 900);
  } finally {
    tmp.cleanup();
  }
});

test('a missing spool state directory lists as empty', () => {
  const tmp = tempDir();
  try {
    mkdirSync(join(tmp.path, 'incoming'));
    assert.deepEqual(new QueueReader(tmp.path).all(), []);
  } finally {
    tmp.cleanup();
  }
});

/** A reader whose directory listings are stale: what a scan sees when records move meanwhile. */
class StaleReader extends QueueReader {
  constructor(root: string, private readonly stale: Partial<Record<QueueState, string[]>>) {
    super(root);
  }
  override ids(state: QueueState): string[] {
    return this.stale[state] ?? super.ids(state);
  }
}

test('a record that moves during the scan is found where it went, and listed once', () => {
  const tmp = tempDir();
  try {
    const [a, b] = fillSpool(tmp.path, 2, ['incoming']);
    // b was in deferred when that directory was read, but is back in incoming (released/retried)
    // after incoming was read: the scan misses it in both places and must look again.
    const reader = new StaleReader(tmp.path, { incoming: [a!.record.id], deferred: [b!.record.id] });
    const list = reader.all();
    assert.deepEqual(list.map((m) => [m.id, m.state]), [[a!.record.id, 'incoming'], [b!.record.id, 'incoming']]);
    // Seen in two directories (moved between the two readdirs): listed once.
    renameSync(join(tmp.path, 'incoming', `${a!.record.id}.json`), join(tmp.path, 'hold', `${a!.record.id}.json`));
    const twice = new StaleReader(tmp.path, { incoming: [b!.record.id], hold: [a!.record.id, a!.record.id] }).all();
    assert.deepEqual(twice.map((m) => m.id), [a!.record.id, b!.record.id]);
    // Gone for good (delivered meanwhile): simply not listed.
    const gone = new StaleReader(tmp.path, { incoming: ['0000000000000NOPE', b!.record.id] }).all();
    assert.deepEqual(gone.map((m) => m.id), [a!.record.id, b!.record.id]);
  } finally {
    tmp.cleanup();
  }
});

test('--json with a long messages array: one message per line, same document as pretty JSON', () => {
  const tmp = tempDir();
  try {
    fillSpool(tmp.path, 2500);
    const messages = new QueueReader(tmp.path).all();
    const env = makeEnvelope('queue list', { checks: [], data: { spool: tmp.path, relayRunning: false, messages } }, new Date(0), new Date(5));
    const text = renderJson(env);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(env)));
    const lines = text.split('\n');
    assert.ok(lines.length < 2600, `one line per message (${lines.length} lines)`);
    assert.equal(lines.filter((l) => l.startsWith('      {"id":')).length, 2500);
    // Short arrays keep the usual pretty layout.
    const small = renderJson(makeEnvelope('queue list', { checks: [], data: { messages: messages.slice(0, 2) } }, new Date(0)));
    assert.equal(small, JSON.stringify(JSON.parse(small), null, 2) + '\n');
  } finally {
    tmp.cleanup();
  }
});

test('queue reader: a record that moves into a directory already listed (deferred -> active) is still listed', () => {
  const dir = tempDir('omr-qreader-move-');
  try {
    const recs = fillSpool(dir.path, 40, ['active', 'deferred']);
    const mover = recs.find((r) => r.state === 'deferred')!;
    // While the active records are being read (active/ already listed, deferred/ not yet), the
    // scheduler picks the deferred one up for its retry: it is in neither directory listing.
    class MovingReader extends QueueReader {
      private moved = false;
      override read(state: QueueState, id: string): QueueMessage | undefined | 'gone' {
        if (!this.moved && state === 'active') {
          this.moved = true;
          renameSync(join(dir.path, 'deferred', `${mover.record.id}.json`), join(dir.path, 'active', `${mover.record.id}.json`));
        }
        return super.read(state, id);
      }
    }
    const listed = new MovingReader(dir.path).all();
    assert.equal(listed.length, 40);
    assert.equal(listed.find((m) => m.id === mover.record.id)?.state, 'active');
  } finally {
    dir.cleanup();
  }
});
