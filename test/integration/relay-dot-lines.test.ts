// Delivery sends a stored body as it is when the receive guard saw no line starting with '.'
// (QueueRecord.dotLines false) and doubles the dots otherwise. Both kinds, held in the journal
// (small) and in a body file (big), must reach the smarthost byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { startRelay } from '../../src/relay/relay.js';
import { JOURNAL_MAX } from '../../src/relay/store.js';
import type { QueueRecord } from '../../src/relay/types.js';
import { relayOptions, sendRaw, startSink, stripReceived, tempSpool, waitFor } from '../helpers/relay.js';

function message(subject: string, bytes: number, dots: boolean): string {
  const lines = [`Subject: ${subject}`, 'From: pc@office.example', ''];
  for (let n = 0, size = 0; size < bytes; n++) {
    const line = `${dots && n % 500 === 7 ? '.' : ''}line ${n} of ${subject} ${'x'.repeat(n % 70)}`;
    lines.push(line);
    size += line.length + 2;
  }
  if (dots) lines.push('.', '..', '.last');
  return lines.join('\r\n') + '\r\n';
}

test('bodies with and without lines starting with a dot, small and big, arrive unchanged; the record says which', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  const queued = new Map<string, QueueRecord>();
  const relay = await startRelay(relayOptions(spool.dir, sink), silentLogger, { onQueued: (rec) => void queued.set(rec.id, rec) });
  try {
    const port = relay.addresses[0]!.port;
    const cases = [
      { subject: 'small-plain', bytes: 2_000, dots: false },
      { subject: 'small-dots', bytes: 2_000, dots: true },
      { subject: 'big-plain', bytes: JOURNAL_MAX * 3, dots: false },
      { subject: 'big-dots', bytes: JOURNAL_MAX * 3, dots: true },
    ];
    const sent = new Map<string, string>();
    for (const c of cases) {
      const raw = message(c.subject, c.bytes, c.dots);
      sent.set(c.subject, raw);
      assert.match(await sendRaw(port, 'pc@office.example', ['a@example.net'], raw), /^250 /);
    }
    await waitFor(() => sink.messages.length === cases.length, 20_000, 'all four delivered');
    for (const c of cases) {
      const got = sink.messages.find((m) => m.raw.includes(`Subject: ${c.subject}\r\n`));
      assert.ok(got, c.subject);
      assert.equal(stripReceived(got.raw).toString('latin1'), sent.get(c.subject), `${c.subject} arrived byte for byte`);
      const id = /\(omr-relay\) with E?SMTP id (\S+?)[;\r]/.exec(got.raw.toString('latin1'))?.[1];
      const rec = queued.get(id ?? '');
      assert.ok(rec, `record of ${c.subject} (${id})`);
      assert.equal(rec.crlf, true);
      assert.equal(rec.dotLines, c.dots, `${c.subject}: dotLines`);
    }
  } finally {
    await relay.stop();
    await sink.close();
    await spool.cleanup();
  }
});

test('big bodies received and delivered at the same time share the block pool without mixing bytes', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  const relay = await startRelay(relayOptions(spool.dir, sink), silentLogger);
  try {
    const port = relay.addresses[0]!.port;
    const sent = Array.from({ length: 6 }, (_, i) => message(`parallel-${i}`, 2_500_000 + i * 70_001, i % 2 === 1));
    // Two waves: the second arrives while the first is still going out.
    for (const wave of [sent.slice(0, 3), sent.slice(3)]) {
      const replies = await Promise.all(wave.map((raw) => sendRaw(port, 'pc@office.example', ['a@example.net'], raw)));
      for (const r of replies) assert.match(r, /^250 /);
    }
    await waitFor(() => sink.messages.length === sent.length, 30_000, 'all six delivered');
    for (const [i, raw] of sent.entries()) {
      const got = sink.messages.find((m) => m.raw.includes(`Subject: parallel-${i}\r\n`));
      assert.ok(got, `parallel-${i} delivered`);
      assert.ok(stripReceived(got.raw).equals(Buffer.from(raw, 'latin1')), `parallel-${i} byte for byte`);
    }
  } finally {
    await relay.stop();
    await sink.close();
    await spool.cleanup();
  }
});
