// The write-ahead journal across a stop and start: mail acknowledged but not yet attempted
// stays in the journal through a graceful stop and is delivered once after the restart; a
// large message takes the body-file path and is delivered byte-identical.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { JOURNAL_MAX } from '../../src/relay/store.js';
import { relayOptions, sampleMessage, sendRaw, startSink, stripReceived, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

test('journal: mail held back at a stop is delivered exactly once after the restart', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  try {
    const opts = relayOptions(spool.dir, sink);
    const gate = { sendGate: () => ({ waitMs: 60_000, reason: 'held back by the test' }) };
    await withRelay(opts, async (relay) => {
      const port = relay.addresses[0]!.port;
      for (let i = 0; i < 5; i++) await sendRaw(port, `pc${i}@office.example`, [`r${i}@example.net`], sampleMessage(i));
      assert.equal(relay.spool.journal!.live, 5);
      assert.ok((await readdir(relay.spool.dir('journal'))).some((n) => n.endsWith('.wal')));
    }, silentLogger, gate);
    assert.equal(sink.messages.length, 0, 'nothing sent while held back');
    await withRelay(opts, async (relay) => {
      await waitFor(() => sink.messages.length === 5, 15_000, 'all five delivered after the restart');
      await waitFor(() => relay.spool.journal!.live === 0, 5_000, 'journal empty');
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(sink.messages.map((m) => m.to[0]).sort(), [0, 1, 2, 3, 4].map((i) => `r${i}@example.net`));
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('journal: a message over the journal limit streams to a body file and arrives byte-identical', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      const filler = ('.leading dot line\r\n' + 'y'.repeat(78) + '\r\n').repeat(Math.ceil((JOURNAL_MAX * 1.5) / 100));
      const big = sampleMessage(1, filler.slice(0, -2));
      assert.ok(big.length > JOURNAL_MAX);
      const small = sampleMessage(2);
      await sendRaw(relay.addresses[0]!.port, 'a@office.example', ['big@example.net'], big);
      assert.equal(relay.spool.journal!.syncs, 0, 'the big message did not go through the journal');
      await sendRaw(relay.addresses[0]!.port, 'a@office.example', ['small@example.net'], small);
      assert.equal(relay.spool.journal!.syncs, 1, 'the small one did');
      await waitFor(() => sink.messages.length === 2, 15_000, 'both delivered');
      const got = new Map(sink.messages.map((m) => [m.to[0], stripReceived(m.raw).toString('latin1')]));
      assert.equal(got.get('big@example.net'), big);
      assert.equal(got.get('small@example.net'), small);
      assert.equal(relay.spool.journal!.live, 0);
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});
