// Security and limits over raw sockets: allowlist, SMTP smuggling vectors, size/line/recipient
// limits, command timeout, TLS verification and no plaintext AUTH upstream.
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryLogger } from '../../src/core/logger.js';
import { rawClient, relayOptions, sampleMessage, sendRaw, startSink, tempSpool, waitFor, withRelay } from '../helpers/relay.js';
import type { RelayOptions } from '../../src/relay/types.js';

async function withSetup(over: Partial<RelayOptions>, fn: (port: number, ctx: { spool: string; sink: Awaited<ReturnType<typeof startSink>>; logger: ReturnType<typeof memoryLogger> }) => Promise<void>): Promise<void> {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink, over), (relay) => fn(relay.addresses[0]!.port, { spool: spool.dir, sink, logger }), logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
}

async function openTransaction(port: number, rcpts = ['victim@example.net']) {
  const c = await rawClient(port);
  assert.match(await c.reply(), /^220 /);
  c.write('EHLO attacker.lan\r\n');
  assert.match(await c.reply(), /^250[ -]/);
  c.write('MAIL FROM:<pc@office.example>\r\n');
  assert.match(await c.reply(), /^250 /);
  for (const r of rcpts) {
    c.write(`RCPT TO:<${r}>\r\n`);
    assert.match(await c.reply(), /^250 /);
  }
  c.write('DATA\r\n');
  assert.match(await c.reply(), /^354 /);
  return c;
}

test('a source outside --allow is refused at connect with 554 5.7.1 and logged', async () => {
  await withSetup({ allow: ['10.0.0.0/8'] }, async (port, { logger }) => {
    const c = await rawClient(port);
    assert.match(await c.reply(), /^554 5\.7\.1 127\.0\.0\.1 is not allowed/);
    await c.closed;
    assert.ok(logger.entries.some((e) => e.event === 'client refused' && e.fields.client === '127.0.0.1'));
  });
});

const SMUGGLING: Array<[string, string]> = [
  ['\\n.\\n end-of-data', 'Subject: a\r\n\r\nhello\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim2@example.net>\r\nDATA\r\nsmuggled\r\n'],
  ['\\r\\n.\\n end-of-data', 'Subject: a\r\n\r\nhello\r\n.\nMAIL FROM:<evil@x>\r\n'],
  ['\\n.\\r\\n end-of-data', 'Subject: a\r\n\r\nhello\n.\r\nMAIL FROM:<evil@x>\r\n'],
  ['\\r.\\r end-of-data', 'Subject: a\r\n\r\nhello\r.\rMAIL FROM:<evil@x>\r\n'],
  ['bare CR in body', 'Subject: a\r\n\r\nhel\rlo\r\n'],
  ['bare LF in header', 'Subject: a\nX-Evil: 1\r\n\r\nhello\r\n'],
];

for (const [name, payload] of SMUGGLING) {
  test(`smuggling vector refused: ${name}`, async () => {
    await withSetup({}, async (port, { spool, sink }) => {
      const c = await openTransaction(port);
      c.write(payload + '.\r\n');
      assert.match(await c.reply(), /^550 5\.5\.2 Message refused: bare (CR|LF)/);
      c.write('QUIT\r\n');
      assert.match(await c.reply(), /^221 /, 'smuggled commands were not executed: the next reply answers QUIT');
      c.close();
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await readdir(join(spool, 'incoming')), []);
      assert.deepEqual(await readdir(join(spool, 'data')), [], 'refused body removed');
      assert.equal(sink.messages.length, 0);
    });
  });
}

test('a clean message over the raw socket is accepted (control for the smuggling tests)', async () => {
  await withSetup({}, async (port, { sink }) => {
    const c = await openTransaction(port);
    c.write('Subject: a\r\n\r\nhello\r\n..dot\r\n.\r\n');
    assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued as /);
    c.write('QUIT\r\n');
    await c.reply();
    c.close();
    await waitFor(() => sink.messages.length === 1);
    assert.match(sink.messages[0]!.raw.toString('latin1'), /\r\nSubject: a\r\n\r\nhello\r\n\.dot\r\n$/);
  });
});

test('a recipient cannot end DATA upstream through our Received header (U+010D/U+010A are CR/LF in latin1)', async () => {
  await withSetup({}, async (port, { sink }) => {
    const rcpt = 'x\u010d\u010a.\u010d\u010ay@example.net';
    const body = ['RSET', 'MAIL FROM:<ceo@bank.example>', 'RCPT TO:<victim@example.net>', 'DATA', 'Subject: smuggled', '', 'pay now', ''].join('\r\n');
    assert.match(await sendRaw(port, 'pc@office.example', [rcpt], body), /^250 /);
    await waitFor(() => sink.messages.length >= 1, 10_000, 'the message at the sink');
    await new Promise((r) => setTimeout(r, 300)); // a smuggled second message would follow at once
    assert.equal(sink.messages.length, 1, 'exactly one message reached the smarthost');
    assert.ok(!sink.messages.some((m) => m.from === 'ceo@bank.example'), 'no smuggled transaction');
    const raw = sink.messages[0]!.raw.toString('latin1');
    assert.ok(raw.endsWith('pay now\r\n'), 'the whole body arrived as one message');
    assert.doesNotMatch(raw, /\tfor </, 'the address that is not plain ASCII stays out of the Received header');
  });
});

test('limits: recipients (452 beyond), declared SIZE (552), actual size (552), line length (552), header size (552)', async () => {
  await withSetup({ maxRecipients: 3, maxMessageSize: 2000, maxLineLength: 100, maxHeaderSize: 300 }, async (port, { spool }) => {
    const c = await rawClient(port);
    await c.reply();
    c.write('EHLO pc.lan\r\n');
    assert.match(await c.reply(), /250[ -]SIZE 2000/);
    c.write('MAIL FROM:<pc@office.example> SIZE=5000\r\n');
    assert.match(await c.reply(), /^552 .*(exceeds|size)/i);
    c.write('MAIL FROM:<pc@office.example>\r\n');
    await c.reply();
    for (let i = 0; i < 3; i++) {
      c.write(`RCPT TO:<r${i}@example.net>\r\n`);
      assert.match(await c.reply(), /^250 /);
    }
    c.write('RCPT TO:<r4@example.net>\r\n');
    assert.match(await c.reply(), /^452 4\.5\.3 too many recipients/);
    c.write('DATA\r\n');
    await c.reply();
    c.write(`Subject: big\r\n\r\n${'y'.repeat(90)}\r\n`.repeat(40) + '.\r\n');
    assert.match(await c.reply(), /^552 /);
    c.close();
    for (const [body, re] of [
      [`Subject: long\r\n\r\n${'z'.repeat(150)}\r\n`, /^552 5\.3\.4 Message refused: a line is longer than 100 bytes/],
      [`${'X-H: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(10)}\r\nbody\r\n`, /^552 5\.3\.4 Message refused: header larger than 300 bytes/],
    ] as const) {
      const d = await openTransaction(port);
      d.write(body + '.\r\n');
      assert.match(await d.reply(), re);
      d.close();
    }
    assert.deepEqual(await readdir(join(spool, 'data')), []);
  });
});

test('command timeout: an idle client is disconnected', async () => {
  await withSetup({ commandTimeoutMs: 300 }, async (port) => {
    const c = await rawClient(port);
    await c.reply();
    const t0 = Date.now();
    assert.match(await c.reply(3000), /^421 |<closed>/);
    await c.closed;
    assert.ok(Date.now() - t0 < 2500);
  });
});

test('upstream certificate is verified by default: without --ca nothing is sent, no AUTH, mail kept', async () => {
  await withSetup({ ca: undefined }, async (port, { sink, logger }) => {
    await sendRaw(port, 'pc@office.example', ['a@example.net'], sampleMessage(1));
    await waitFor(() => logger.entries.some((e) => e.event === 'delivery'), 10_000, 'an attempt');
    assert.equal(sink.messages.length, 0);
    assert.equal(sink.authAttempts, 0);
    const d = logger.entries.find((e) => e.event === 'delivery')!;
    assert.equal(d.fields.outcome, 'defer');
  });
});

test('no plaintext AUTH: a smarthost without STARTTLS gets no AUTH and no mail (--tls starttls)', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!', tls: false, insecureAuth: true });
  const spool = await tempSpool();
  const logger = memoryLogger();
  try {
    await withRelay(relayOptions(spool.dir, sink), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['a@example.net'], sampleMessage(1));
      await waitFor(() => logger.entries.some((e) => e.event === 'delivery'), 10_000, 'an attempt');
      assert.equal(sink.authAttempts, 0, 'AUTH never sent in plaintext');
      assert.equal(sink.messages.length, 0);
    }, logger);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('--tls none: delivers in plaintext and never sends AUTH even with --user set', async () => {
  const sink = await startSink({ tls: false, insecureAuth: true });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink, { tls: 'none' }), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'pc@office.example', ['a@example.net'], sampleMessage(1));
      await waitFor(() => sink.messages.length === 1);
      assert.equal(sink.authAttempts, 0);
      assert.equal(sink.messages[0]!.secure, false);
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('a spool failure answers 451 (never 250, never 5xx) and the client keeps the message', async () => {
  await withSetup({}, async (port, { spool, logger }) => {
    // Replace journal/ and data/ with files: every write of a message now fails (ENOTDIR), as a
    // broken disk would (small messages go to the journal, large ones to data/).
    for (const d of ['journal', 'data']) {
      await rm(join(spool, d), { recursive: true });
      await writeFile(join(spool, d), 'not a directory');
    }
    const c = await openTransaction(port);
    c.write('Subject: a\r\n\r\nhello\r\n.\r\n');
    assert.match(await c.reply(), /^451 4\.3\.0 Local error in processing/);
    c.write('QUIT\r\n');
    await c.reply();
    c.close();
    assert.deepEqual(await readdir(join(spool, 'incoming')), []);
    assert.ok(logger.entries.some((e) => e.event === 'spool write failed'));
  });
});
