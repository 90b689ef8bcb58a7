// Delivery reads a body file into two reused buffers. A buffer handed to the socket may only be
// refilled once the socket is done with it: a stand-in connection that takes its time with each
// write (and never asks to wait for drain) shows whether the bytes it finally sends are right.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { DotStuffer } from '../../src/relay/upstream/dot-stuff.js';
import { BodyFile, writeBodyFile, type BodySink } from '../../src/relay/upstream/file-body.js';

/** Records what a socket would send, "sending" each buffer a little later than write(). */
function slowSink(): BodySink & { sent(): Promise<Buffer> } {
  const pending: Promise<Buffer>[] = [];
  const later = (data: Buffer): Promise<Buffer> => new Promise((r) => setTimeout(() => r(Buffer.from(data)), 3));
  return {
    failure: undefined,
    write(data: string | Buffer) {
      pending.push(later(Buffer.from(data)));
      return true;
    },
    writeReusable(data: Buffer) {
      const p = later(data);
      pending.push(p);
      return { ok: true, done: p.then(() => undefined) };
    },
    drain: () => Promise.resolve(),
    sent: async () => Buffer.concat(await Promise.all(pending)),
  };
}

test('body file: every buffer is refilled only after the socket sent it (two buffers, one buffer, size understated)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'omr-filebody-'));
  try {
    const lines: string[] = [];
    // (A running count: joining the lines in the loop condition made this test take two minutes.)
    for (let i = 0, n = 0; n < 1_200_000; i++) n += lines[lines.push(`${i % 97 === 0 ? '.' : ''}line ${i} ${'y'.repeat(i % 70)}\r\n`) - 1]!.length;
    const body = Buffer.from(lines.join(''), 'latin1');
    const path = join(dir, 'body');
    await writeFile(path, body);
    const want = Buffer.concat([new DotStuffer().push(body)]);
    for (const recorded of [body.length, 1000, 300_000]) {
      for (const crlf of [true, false]) {
        const sink = slowSink();
        await writeBodyFile(sink, new BodyFile(path, recorded), new DotStuffer(crlf));
        assert.ok((await sink.sent()).equals(want), `recorded size ${recorded}, crlf ${crlf}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
