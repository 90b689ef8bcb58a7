// Retry, per-recipient failure, DSN and AUTH-pause behaviour against a scripted smarthost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../../src/core/logger.js';
import { relayOptions, sampleMessage, sendRaw, startSink, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

const AUTH = { user: 'office', password: 'S3cret-pw!' };

test('421 at the greeting three times, then recovery: delivered exactly once, never bounced', async () => {
  const sink = await startSink({ ...AUTH, hooks: { connect: (n) => (n <= 3 ? { code: 421, text: '4.7.0 Too many connections, try again later' } : undefined) } });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['far@example.net'], sampleMessage(1));
      await waitFor(() => sink.messages.length >= 1, 20_000, 'delivery after 421s');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(sink.messages.length, 1, 'delivered once');
      assert.ok(sink.totalConnections >= 4, 'the 421s really happened');
      assert.ok(relay.scheduler.window.current < 5, 'concurrency was lowered after 421');
    }, logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
  const attempts = logger.entries.filter((e) => e.event === 'delivery');
  assert.ok(attempts.filter((e) => e.fields.rule === '421-busy').length >= 3);
  assert.ok(!logger.entries.some((e) => e.event === 'bounce queued'), 'no bounce for 421');
});

test('5xx to one RCPT: the other recipient gets the mail, the sender gets one RFC 3464 DSN from <>', async () => {
  const sink = await startSink({ ...AUTH, hooks: { rcpt: (a) => (a.startsWith('nobody@') ? { code: 550, text: '5.1.1 mailbox unavailable' } : undefined) } });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'boss@office.example', ['nobody@example.net', 'friend@example.net'], sampleMessage(2));
      await waitFor(() => sink.messages.length >= 2, 10_000, 'message and DSN');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sink.messages.length, 2);
      const [orig, dsn] = [sink.messages.find((m) => m.from !== '')!, sink.messages.find((m) => m.from === '')!];
      assert.deepEqual(orig.to, ['friend@example.net']);
      assert.ok(dsn, 'DSN sent with the null sender');
      assert.deepEqual(dsn.to, ['boss@office.example']);
      const text = dsn.raw.toString('latin1');
      assert.match(text, /Content-Type: multipart\/report; report-type=delivery-status/);
      assert.match(text, /Final-Recipient: rfc822; nobody@example\.net\r\nAction: failed\r\nStatus: 5\.1\.1/);
      assert.match(text, /Diagnostic-Code: smtp; 550 5\.1\.1 mailbox unavailable/);
      assert.match(text, /Content-Type: text\/rfc822-headers\r\n\r\nReceived: from /);
      assert.ok(!text.includes('Final-Recipient: rfc822; friend@'), 'only the failed recipient is reported');
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('4xx to one RCPT: that recipient is retried, the other is not sent twice', async () => {
  let tries = 0;
  const sink = await startSink({ ...AUTH, hooks: { rcpt: (a) => (a.startsWith('later@') && ++tries <= 2 ? { code: 450, text: '4.2.0 mailbox busy' } : undefined) } });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['now@example.net', 'later@example.net'], sampleMessage(3));
      await waitFor(() => sink.messages.length >= 2, 15_000, 'both recipients');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(sink.messages.map((m) => m.to), [['now@example.net'], ['later@example.net']]);
      assert.ok(!sink.messages.some((m) => m.from === ''), 'no DSN for a temporary failure');
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('5xx after DATA fails the message: DSN to the sender; a failing DSN is dropped, not bounced', async () => {
  const sink = await startSink({ ...AUTH, hooks: { data: () => ({ code: 554, text: '5.6.0 content rejected' }) } });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['a@example.net'], sampleMessage(4));
      await waitFor(() => logger.entries.some((e) => e.event.startsWith('bounce undeliverable')), 10_000, 'DSN dropped');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(logger.entries.filter((e) => e.event === 'bounce queued').length, 1, 'exactly one bounce');
      assert.equal(relay.scheduler.counts().deferred + relay.scheduler.counts().incoming, 0);
    }, logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('535 AUTH failure pauses the queue: no bounces, mail kept, one alarm', async () => {
  const sink = await startSink({ user: 'office', password: 'another-password' });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      const port = relay.addresses[0]!.port;
      for (let i = 0; i < 5; i++) await sendRaw(port, 'pc@office.example', [`x${i}@example.net`], sampleMessage(i));
      await waitFor(() => relay.scheduler.status().state === 'paused', 10_000, 'paused');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(sink.messages.length, 0);
      assert.ok(sink.authFailures >= 1 && sink.authFailures <= 5, `few AUTH attempts (${sink.authFailures})`);
      const c = relay.scheduler.counts();
      assert.equal(c.incoming + c.deferred + c.active, 5, 'all 5 messages still queued');
    }, logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
  assert.ok(!logger.entries.some((e) => e.event === 'bounce queued'), 'no bounce');
  assert.equal(logger.entries.filter((e) => e.event.startsWith('QUEUE PAUSED')).length, 1, 'one alarm');
  assert.ok(!JSON.stringify(logger.entries).includes('S3cret-pw!'), 'password never logged');
});

test('past --max-queue-lifetime a message that only ever got 4xx is bounced (rule expired)', async () => {
  const sink = await startSink({ ...AUTH, hooks: { rcpt: (a) => (a.startsWith('slow@') ? { code: 451, text: '4.3.0 try later' } : undefined) } });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink, { maxQueueLifetimeMs: 1500 }), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['slow@example.net'], sampleMessage(5));
      await waitFor(() => sink.messages.some((m) => m.from === ''), 15_000, 'DSN after expiry');
      const dsn = sink.messages.find((m) => m.from === '')!.raw.toString('latin1');
      assert.match(dsn, /Final-Recipient: rfc822; slow@example\.net/);
      assert.match(dsn, /expired after/);
      assert.ok(logger.entries.some((e) => e.event === 'delivery' && e.fields.rule === 'expired'));
    }, logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('graceful stop lets an in-flight delivery finish: delivered once, nothing left queued', async () => {
  const sink = await startSink({ ...AUTH, hooks: { dataDelayMs: 1500 } });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['a@example.net'], sampleMessage(6));
      await waitFor(() => relay.scheduler.status().inFlight === 1, 5000, 'in flight');
      await relay.stop();
      assert.equal(sink.messages.length, 1);
      assert.deepEqual(await relay.spool.counts(), { incoming: 0, active: 0, deferred: 0, hold: 0 });
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});
