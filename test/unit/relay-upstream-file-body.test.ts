// Delivery reads a body file into two reused buffers. A buffer handed to the socket may only be
// refilled once the socket is done with it: a stand-in connection that takes its time with each
// write (and never asks to wait for drain) shows whether the bytes it finally sends are right.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { spareBlocks } from '../../src/relay/block-pool.js';
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

test('pooled blocks: big deliveries one after another and at once, each sent late, never share a block; the blocks come back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'omr-filebody-'));
  try {
    const bodies = ['a', 'b'].map((tag) => {
      const lines: string[] = [];
      for (let i = 0, n = 0; n < 2_600_000; i++) n += lines[lines.push(`${tag} line ${i} ${tag.repeat(i % 60)}\r\n`) - 1]!.length;
      return Buffer.from(lines.join(''), 'latin1');
    });
    const paths = await Promise.all(bodies.map(async (b, i) => {
      const path = join(dir, `body${i}`);
      await writeFile(path, b);
      return path;
    }));
    // No line starts with '.': the stuffer hands the read buffers themselves to the socket.
    const deliver = (i: number, sink: ReturnType<typeof slowSink>): Promise<void> => writeBodyFile(sink, new BodyFile(paths[i]!, bodies[i]!.length), new DotStuffer(true, false));
    for (let round = 0; round < 3; round++) {
      const sinks = [slowSink(), slowSink(), slowSink(), slowSink()];
      // The next delivery starts while the socket has not yet sent the last block of this one.
      await deliver(0, sinks[0]!);
      await deliver(1, sinks[1]!);
      await Promise.all([deliver(0, sinks[2]!), deliver(1, sinks[3]!)]);
      for (let k = 0; k < sinks.length; k++) assert.ok((await sinks[k]!.sent()).equals(bodies[k % 2]!), `round ${round}: delivery ${k} intact`);
    }
    assert.ok(spareBlocks() >= 2 && spareBlocks() <= 8, `blocks returned to the pool (${spareBlocks()})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
