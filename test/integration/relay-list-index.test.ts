// The list index on a real relay (issue 9): what the relay appends while it defers, holds and
// flushes mail lists exactly what reading every record file lists, while it runs and after a
// clean stop (also through the CLI), without opening the record files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ListIndex } from '../../src/relay/list-index/read.js';
import { flushMessages, holdMessages, listMessages } from '../../src/relay/queue-ops.js';
import { QueueReader, type QueueMessage } from '../../src/relay/queue-reader.js';
import { relayOptions, sampleMessage, sendRaw, startSink, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

const run = promisify(execFile);
const OMR = resolve(import.meta.dirname, '../../../bin/omr.js');

const plain = (list: QueueMessage[]): unknown => JSON.parse(JSON.stringify(list));

function byFiles(root: string): unknown {
  return plain(new QueueReader(root).all());
}

function fromIndex(root: string): { list: unknown; stats: QueueReader['stats'] } {
  const reader = new QueueReader(root, ListIndex.load(root));
  return { list: plain(reader.all()), stats: reader.stats };
}

test('list index on a running relay: deferred, held and flushed mail listed from it, same as from the files', async () => {
  const sink = await startSink({ hooks: { connect: () => ({ code: 421, text: '4.3.2 try again later' }) } });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink, { retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 }), async (relay) => {
      const port = relay.addresses[0]!.port;
      for (let i = 0; i < 6; i++) await sendRaw(port, `pc${i}@office.example`, [`r${i}@example.net`, `s${i}@example.org`], sampleMessage(i));
      // One larger than the journal takes: its own record file from the start.
      await sendRaw(port, 'big@office.example', ['r@example.net'], sampleMessage(9, ('x'.repeat(999) + '\r\n').repeat(300)));
      await waitFor(async () => (await listMessages(relay.spool)).filter((m) => m.state === 'deferred').length === 7, 30_000, '7 deferred');
      const ids = (await listMessages(relay.spool)).map((m) => m.id);
      await holdMessages(relay.spool, [ids[0]!], process.pid);
      await flushMessages(relay.spool, [ids[1]!], process.pid);
      // The relay's appends are asynchronous: equal once they landed.
      await waitFor(() => JSON.stringify(fromIndex(spool.dir).list) === JSON.stringify(byFiles(spool.dir)), 10_000, 'index listing = file listing');
      const { list, stats } = fromIndex(spool.dir);
      assert.deepEqual(stats, { indexed: 7, files: 0 });
      const held = (list as QueueMessage[]).find((m) => m.id === ids[0])!;
      assert.equal(held.state, 'hold');
      assert.equal(held.nextAttemptAt, null);
      assert.equal(held.attempts, 1);
      assert.deepEqual(plain(await listMessages(relay.spool)), byFiles(spool.dir));
    });
    assert.equal(existsSync(join(spool.dir, 'index', 'clean')), true, 'clean stop marked');
    assert.deepEqual(fromIndex(spool.dir).stats, { indexed: 7, files: 0 });
    const cli = await run(process.execPath, [OMR, 'queue', 'list', '--json', '--spool', spool.dir], { timeout: 20_000 });
    const env = JSON.parse(cli.stdout) as { data: { relayRunning: boolean; messages: QueueMessage[] } };
    assert.equal(env.data.relayRunning, false);
    assert.deepEqual(env.data.messages, byFiles(spool.dir));
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});
