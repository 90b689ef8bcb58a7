// Big bodies held in pooled blocks until their first delivery attempt: the bytes must come back
// exactly, the pool must stay within its budget, and a block lent to a socket must not be
// reused (for the next message received) before the socket has sent it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import test from 'node:test';
import { slowSink } from '../helpers/body-sink.js';
import { BlockPool, type HeldBody } from '../../src/relay/held-body.js';
import { DotStuffer } from '../../src/relay/upstream/dot-stuff.js';
import { writeHeldBody } from '../../src/relay/upstream/held-body-writer.js';

const KiB = 1024;

function fill(body: HeldBody, data: Buffer, chunk: () => number): boolean {
  for (let off = 0; off < data.length; ) {
    const n = Math.min(data.length - off, chunk());
    if (!body.append(data.subarray(off, off + n))) return false;
    off += n;
  }
  return true;
}

test('held body: random chunk sizes come back byte for byte across block boundaries', () => {
  const pool = new BlockPool(4096 * KiB, 3072 * KiB, 64 * KiB);
  for (let round = 0; round < 40; round++) {
    const data = randomBytes(Math.floor(Math.random() * 3000 * KiB));
    const body = pool.hold()!;
    assert.ok(fill(body, data, () => 1 + Math.floor(Math.random() * 150 * KiB)));
    assert.equal(body.length, data.length);
    assert.ok(Buffer.concat(body.buffers()).equals(data), `round ${round}, ${data.length} bytes`);
    assert.equal(pool.inUse, Math.ceil(data.length / (64 * KiB)) * 64 * KiB);
    body.release();
    body.release(); // twice is harmless
    assert.equal(pool.inUse, 0);
  }
  assert.ok(pool.allocatedBytes <= 3072 * KiB, 'blocks are reused, not allocated again');
});

test('held body: over the per-message limit it gives up and its blocks go back', () => {
  const pool = new BlockPool(1024 * KiB, 256 * KiB, 64 * KiB);
  const body = pool.hold()!;
  assert.ok(body.append(Buffer.alloc(200 * KiB)));
  assert.equal(pool.inUse, 256 * KiB);
  assert.equal(body.append(Buffer.alloc(57 * KiB)), false);
  assert.equal(pool.inUse, 0);
  assert.equal(body.append(Buffer.alloc(1)), false, 'stays given up');
});

test('held body: an exhausted pool holds nothing more, and holding off holds nothing', () => {
  const pool = new BlockPool(128 * KiB, 128 * KiB, 64 * KiB);
  const a = pool.hold()!;
  const b = pool.hold()!;
  assert.ok(a.append(Buffer.alloc(64 * KiB, 1)));
  assert.ok(b.append(Buffer.alloc(64 * KiB, 2)));
  assert.equal(pool.hold(), undefined, 'every block in use');
  assert.equal(a.append(Buffer.alloc(1)), false, 'a needs a third block: gives up');
  assert.equal(pool.inUse, 64 * KiB);
  assert.ok(b.buffers()[0]!.every((x) => x === 2), 'b untouched');
  assert.ok(pool.hold(), 'a block is free again');
  assert.equal(new BlockPool(0).hold(), undefined);
});

test('held body: release waits for lent writes, also failed ones', async () => {
  const pool = new BlockPool(256 * KiB, 256 * KiB, 64 * KiB);
  const body = pool.hold()!;
  assert.ok(body.append(Buffer.alloc(100 * KiB)));
  let written!: () => void;
  let failed!: (e: Error) => void;
  body.lend(new Promise<void>((r) => (written = r)));
  body.lend(new Promise<void>((_, j) => (failed = j)));
  body.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(pool.inUse, 128 * KiB, 'still lent');
  written();
  await new Promise((r) => setImmediate(r));
  assert.equal(pool.inUse, 128 * KiB, 'one write still out');
  failed(new Error('connection reset'));
  await new Promise((r) => setImmediate(r));
  assert.equal(pool.inUse, 0);
});

test('held body: sent dot-stuffed, and its blocks are not refilled while the socket still holds them', async () => {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < 700 * KiB; i++) n += lines[lines.push(`${i % 89 === 0 ? '.' : ''}line ${i} ${'z'.repeat(i % 60)}\r\n`) - 1]!.length;
  const data = Buffer.from(lines.join(''), 'latin1');
  for (const crlf of [true, false]) {
    // Exactly enough blocks for one body: the next one can only get these same blocks.
    const pool = new BlockPool(768 * KiB, 768 * KiB, 64 * KiB);
    const body = pool.hold()!;
    assert.ok(fill(body, data, () => 64 * KiB));
    const sink = slowSink();
    await writeHeldBody(sink, body, new DotStuffer(crlf));
    body.release(); // the attempt is over, but the slow socket has not sent everything yet
    const next = pool.hold();
    if (next) fill(next, Buffer.alloc(data.length, 0x58), () => 64 * KiB);
    assert.ok((await sink.sent()).equals(new DotStuffer().push(data)), `crlf ${crlf}: the socket sent the first body, not the next`);
  }
});
