// Big messages go out from the memory they were received into (their first attempt only),
// byte-identical, and that memory goes back to the pool whatever the attempt's outcome. The
// body file stays the truth: a retry reads it.
import assert from 'node:assert/strict';
import { truncateSync } from 'node:fs';
import test from 'node:test';
import type { RunningRelay } from '../../src/relay/relay.js';
import { relayOptions, sendRaw, startSink, tempSpool, waitFor, withRelay } from '../helpers/relay.js';
import { silentLogger } from '../../src/core/logger.js';

/** A message of about `bytes`, with dot-led lines (stuffed on the wire) and varied lengths. */
function bigMessage(tag: string, bytes: number): Buffer {
  const lines = [`From: pc@office.example`, `To: someone@example.net`, `Subject: big ${tag}`, `Message-ID: <${tag}.${Date.now()}@office.example>`, ''];
  for (let i = 0, n = 0; n < bytes; i++) n += lines[lines.push(`${i % 53 === 0 ? '.' : ''}${tag} line ${i} ${'q'.repeat(i % 77)}`) - 1]!.length + 2;
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

/** The sink's copy ends with the client's bytes (our Received header comes first). */
function endsWith(raw: Buffer, sent: Buffer): boolean {
  return raw.length > sent.length && raw.subarray(raw.length - sent.length).equals(sent);
}

test('big messages are delivered from the memory they were received into, then the memory is free', async () => {
  const sink = await startSink();
  const spool = await tempSpool();
  let relay: RunningRelay | undefined;
  try {
    // Emptying a body file as soon as it is queued: only a delivery from memory still sends it whole.
    const hooks = { onQueued: (rec: { id: string }) => truncateSync(relay!.spool.bodyPath(rec.id), 0) };
    await withRelay(relayOptions(spool.dir, sink), async (r) => {
      relay = r;
      const port = r.addresses[0]!.port;
      const sent = [bigMessage('a', 600_000), bigMessage('b', 1_500_000), bigMessage('c', 3_000_000)];
      await Promise.all(sent.map((m, i) => sendRaw(port, `pc${i}@office.example`, ['someone@example.net'], m)));
      await waitFor(() => sink.messages.length === 3, 15_000, 'three deliveries');
      for (const m of sent) assert.ok(sink.messages.some((d) => endsWith(d.raw, m)), 'delivered byte-identical from memory');
      assert.ok(r.bodies.allocatedBytes > 0, 'the pool was used');
      await waitFor(() => r.bodies.inUse === 0, 5000, 'held memory back in the pool');
    }, silentLogger, hooks);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('a first attempt refused after DATA is retried from the body file, and its memory is freed', async () => {
  const sink = await startSink({ hooks: { data: (n) => (n === 1 ? { code: 451, text: '4.3.0 try again' } : undefined) } });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (r) => {
      const msg = bigMessage('retry', 2_000_000);
      await sendRaw(r.addresses[0]!.port, 'pc@office.example', ['someone@example.net'], msg);
      await waitFor(() => sink.messages.length === 1, 15_000, 'the retry delivered');
      assert.ok(endsWith(sink.messages[0]!.raw, msg), 'the retry sent the file, byte-identical');
      assert.equal(r.bodies.inUse, 0);
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('with no memory for held bodies, big messages are read back from disk', async () => {
  const sink = await startSink();
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink, { heldBodyBytes: 0 }), async (r) => {
      const msg = bigMessage('disk', 1_200_000);
      await sendRaw(r.addresses[0]!.port, 'pc@office.example', ['someone@example.net'], msg);
      await waitFor(() => sink.messages.length === 1, 15_000, 'delivery');
      assert.ok(endsWith(sink.messages[0]!.raw, msg));
      assert.equal(r.bodies.allocatedBytes, 0);
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});
