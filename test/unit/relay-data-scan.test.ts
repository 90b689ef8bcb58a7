// The faster end-of-DATA scanner must behave exactly like smtp-server's own: same payload bytes,
// same end of data, same commands after it, however the input is cut into chunks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { feedDataStream, originalFeedDataStream } from '../../src/relay/data-scan.js';

type Feed = typeof feedDataStream;

/** Runs `chunks` through a stream in data mode; returns the payload and the commands after it. */
function run(feed: Feed, chunks: Buffer[]): Promise<{ data: string; commands: string[]; bytes: number }> {
  return new Promise((resolve, reject) => {
    const s = new SMTPStream();
    (s as unknown as { _feedDataStream: Feed })._feedDataStream = feed;
    const commands: string[] = [];
    s.oncommand = (cmd: Buffer, cb?: () => void) => {
      commands.push(cmd.toString('latin1'));
      cb?.();
    };
    const ds = s.startDataMode();
    const parts: Buffer[] = [];
    ds.on('data', (b: Buffer) => parts.push(b));
    ds.on('end', () => s.continue());
    ds.on('error', reject);
    for (const c of chunks) s.write(c);
    s.end(() => resolve({ data: Buffer.concat(parts).toString('latin1'), commands, bytes: ds.byteLength }));
  });
}

/** Deterministic pseudo-random numbers (the failing case can be replayed). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
}

const PIECES = ['.', '..', '\r\n', '\n', '\r', 'a', 'text ', '\r\n.', '\r\n..', '.\r\n', '\r\n.\r\n', 'x'.repeat(40)];

function randomInput(r: () => number): Buffer {
  let s = '';
  const n = 1 + Math.floor(r() * 40);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  // Usually a proper end of data followed by a pipelined command; sometimes none at all.
  if (r() < 0.8) s += '\r\n.\r\nQUIT\r\n';
  return Buffer.from(s, 'latin1');
}

function cut(buf: Buffer, r: () => number, max = 9): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const n = 1 + Math.floor(r() * max);
    out.push(buf.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

test('fast DATA scanner: identical to smtp-server on 3,000 random inputs in random chunks', async () => {
  const r = rng(20261130);
  for (let k = 0; k < 3000; k++) {
    const input = randomInput(r);
    const chunks = r() < 0.2 ? [input] : cut(input, r);
    const want = await run(originalFeedDataStream, chunks);
    const got = await run(feedDataStream, chunks);
    assert.deepEqual(got, want, `case ${k}: ${JSON.stringify(input.toString('latin1'))} in ${chunks.length} chunks`);
  }
});

// Chunks of 8 bytes and more take the path that writes the kept-back bytes ahead of the next
// chunk instead of concatenating them; longer inputs so that most chunks do.
test('fast DATA scanner: identical to smtp-server on 3,000 longer inputs in chunks of up to 60 bytes', async () => {
  const r = rng(7);
  for (let k = 0; k < 3000; k++) {
    const input = Buffer.concat([randomInput(r), randomInput(r), randomInput(r)]);
    const chunks = cut(input, r, 60);
    const want = await run(originalFeedDataStream, chunks);
    const got = await run(feedDataStream, chunks);
    assert.deepEqual(got, want, `case ${k}: ${JSON.stringify(input.toString('latin1'))} in ${chunks.length} chunks`);
  }
});

test('fast DATA scanner: dot-stuffing removed, a message of 1 MiB in 64 KiB chunks ends where it should', async () => {
  const line = '.leading dot line and some more text to fill it up\r\n';
  const body = line.repeat(Math.ceil((1024 * 1024) / line.length));
  const wire = Buffer.from(body.replace(/^\./gm, '..') + '.\r\nMAIL FROM:<a@b>\r\n', 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < wire.length; i += 65536) chunks.push(wire.subarray(i, i + 65536));
  const got = await run(feedDataStream, chunks);
  assert.equal(got.data, body);
  assert.deepEqual(got.commands, ['MAIL FROM:<a@b>']);
  assert.equal(got.bytes, body.length);
});
