// nodemailer client -> relay -> upstream smarthost over real loopback sockets.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryLogger } from '../../src/core/logger.js';
import { relayOptions, sampleMessage, sendRaw, startSink, stripReceived, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

test('relay delivers byte-identical bodies over STARTTLS+AUTH with at most 5 upstream connections', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink, { sessionsPerClient: 100 }), async (relay) => {
      const port = relay.addresses[0]!.port;
      const originals = new Map<string, string>();
      const sends: Promise<string>[] = [];
      for (let i = 0; i < 60; i++) {
        const body = sampleMessage(i, 'x'.repeat(i * 37));
        originals.set(`rcpt${i}@example.net`, body);
        sends.push(sendRaw(port, `pc${i}@office.example`, [`rcpt${i}@example.net`], body));
      }
      const replies = await Promise.all(sends);
      for (const r of replies) assert.match(r, /^250 2\.0\.0 Ok: queued as [0-9A-Z]+/);
      await waitFor(() => sink.messages.length === 60, 20_000, '60 deliveries');
      for (const m of sink.messages) {
        assert.equal(m.secure, true, 'upstream session used TLS');
        assert.equal(m.user, 'office', 'upstream session authenticated');
        const orig = originals.get(m.to[0]!)!;
        assert.ok(m.raw.toString('latin1').startsWith('Received: from '), 'Received header added first');
        assert.deepEqual(stripReceived(m.raw), Buffer.from(orig, 'latin1'), 'body byte-identical apart from Received');
        assert.match(m.raw.toString('latin1'), /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby relay\.test \(omr-relay\) with ESMTP id [0-9A-Z]+/);
      }
      assert.ok(sink.peak <= 5, `peak upstream connections ${sink.peak} <= 5`);
      assert.ok(sink.totalConnections <= 10, `connections reused (${sink.totalConnections} opened for 60 messages)`);
      await waitFor(async () => (await readdir(join(spool.dir, 'data'))).length === 0, 5000, 'spool emptied');
    }, logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
  const deliveries = logger.entries.filter((e) => e.event === 'delivery');
  assert.equal(deliveries.length, 60);
  assert.ok(deliveries.every((d) => d.fields.id && d.fields.client === '127.0.0.1' && d.fields.size && d.fields.reply));
  const text = JSON.stringify(logger.entries);
  assert.ok(!text.includes('S3cret-pw!'), 'password never logged');
});

test('max-connections 2 is never exceeded, even with idle pooled connections', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink, { maxConnections: 2 }), async (relay) => {
      const port = relay.addresses[0]!.port;
      for (let round = 0; round < 3; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => sendRaw(port, 'a@office.example', [`r${round}-${i}@example.net`], sampleMessage(i))));
        await waitFor(() => sink.messages.length === (round + 1) * 10, 10_000, 'round delivered');
      }
      assert.ok(sink.peak <= 2, `peak ${sink.peak} <= 2`);
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});
