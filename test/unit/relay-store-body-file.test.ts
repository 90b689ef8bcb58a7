// A big body goes to its own file through one pooled 1 MiB block: chunks are copied in and the
// block is written whenever it fills. Whatever the chunk sizes (bytes, odd sizes, chunks bigger
// than a block), the file must hold the Received header and exactly the client's bytes.
import assert from 'node:assert/strict';
import { open, readFile, readdir } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import test from 'node:test';
import { BLOCK, spareBlocks } from '../../src/relay/block-pool.js';
import { Spool } from '../../src/relay/spool.js';
import { storeMessage } from '../../src/relay/store.js';
import type { RelayOptions } from '../../src/relay/types.js';
import { relayOptions, tempSpool } from '../helpers/relay.js';

function body(bytes: number, tag: string): Buffer {
  const lines: string[] = [`Subject: ${tag}`, ''];
  for (let i = 0, n = 0; n < bytes; i++) n += lines[lines.push(`${tag} ${i} ${'z'.repeat(i % 77)}`) - 1]!.length + 2;
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

/** A fresh, initialised spool for fn, removed afterwards. */
async function withSpool(fn: (spool: Spool, dir: string) => Promise<void>): Promise<void> {
  const tmp = await tempSpool();
  try {
    const spool = new Spool(tmp.dir);
    await spool.init();
    await fn(spool, tmp.dir);
  } finally {
    await tmp.cleanup();
  }
}

/** Relay options for storing only (no smarthost is contacted); messages up to 64 MiB. */
function storeOptions(dir: string, over: Partial<RelayOptions> = {}): RelayOptions {
  return relayOptions(dir, { port: 1, ca: '' }, { maxMessageSize: 64 * 1024 * 1024, ...over });
}

/** The body cut at the given sizes (cycled), as a stream of chunks. */
function chunks(b: Buffer, sizes: number[]): Readable {
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < b.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return Readable.from(out);
}

test('body files: any chunking, chunks larger than a block included, gives the exact bytes; the block goes back to the pool', async () => {
  await withSpool(async (spool, dir) => {
    const opts = storeOptions(dir);
    const cuts = [[65_536], [1, 7, 4093, 65_536], [BLOCK - 1, 3, BLOCK + 17], [3 * BLOCK + 5], [999_983, 48_611]];
    for (const [k, sizes] of cuts.entries()) {
      const b = body(3 * BLOCK + 12_345 * k, `cut${k}`);
      const meta = { sender: 'pc@office.example', recipients: ['a@example.net'], client: '127.0.0.1', helo: 'pc', esmtp: true };
      const r = await storeMessage(spool, opts, chunks(b, sizes), meta);
      assert.ok(r.ok, JSON.stringify(r));
      const file = await readFile(spool.bodyPath(r.msg.record.id));
      const header = file.subarray(0, file.indexOf('\r\n\tby ') + 2);
      assert.match(header.toString('latin1'), /^Received: from pc/);
      const rest = file.subarray(file.indexOf('\r\n', file.indexOf('+0000')) + 2);
      assert.equal(rest.length, b.length, `cut ${sizes}: size`);
      assert.ok(rest.equals(b), `cut ${sizes}: bytes`);
      assert.equal(r.msg.record.size, file.length);
    }
    assert.ok(spareBlocks() >= 1, 'the write block went back to the pool');
  });
});

const line = Buffer.from('x'.repeat(78) + '\r\n');
const meta = { sender: 'pc@office.example', recipients: ['a@example.net'], client: '127.0.0.1', helo: 'pc', esmtp: true };

test('ENOSPC on the second block write: 452, no hang, file removed', async () => {
  const probe = await tempSpool();
  const fh = await open(probe.dir + '/probe', 'w');
  const proto = Object.getPrototypeOf(fh) as { write: (...a: unknown[]) => Promise<unknown> };
  await fh.close();
  await probe.cleanup();
  const orig = proto.write;
  let calls = 0;
  proto.write = function (this: unknown, ...a: unknown[]) {
    if (++calls === 2) return Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    return orig.apply(this, a);
  };
  try {
    await withSpool(async (spool, dir) => {
      const opts = storeOptions(dir);
      const parts = Array.from({ length: Math.ceil((5 * BLOCK) / 65_536) }, () => Buffer.concat(Array(819).fill(line)));
      const t = Date.now();
      await assert.rejects(storeMessage(spool, opts, Readable.from([Buffer.from('S: x\r\n\r\n'), ...parts]), meta), (e: Error & { responseCode?: number }) => e.responseCode === 452);
      assert.ok(Date.now() - t < 5000);
      assert.deepEqual(await readdir(spool.dir('data')), []);
    });
  } finally {
    proto.write = orig;
  }
});

test('client disconnect mid-DATA of a big message: the body file is removed and the handle closed', async () => {
  await withSpool(async (spool, dir) => {
    const opts = storeOptions(dir);
    const s = new PassThrough();
    const p = storeMessage(spool, opts, s, meta);
    s.write('S: x\r\n\r\n');
    for (let i = 0; i < 40; i++) s.write(Buffer.concat(Array(819).fill(line)));
    await new Promise((r) => setTimeout(r, 200));
    s.destroy(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
    await assert.rejects(p);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await readdir(spool.dir('data')), [], 'body file of an aborted message left behind');
  });
});

test('a Received header that is not plain text makes the record claim nothing: delivery re-encodes it fully', async () => {
  await withSpool(async (spool, dir) => {
    const body = Buffer.from('Subject: x\r\n\r\nno dot lines here\r\n');
    for (const [hostname, plain] of [['gw.example', true], ['gw\u010d\u010a.evil', false]] as const) {
      const opts = storeOptions(dir, { hostname });
      const r = await storeMessage(spool, opts, Readable.from([body]), meta);
      assert.ok(r.ok);
      assert.equal(r.msg.record.crlf, plain, `${hostname}: crlf`);
      assert.equal(r.msg.record.dotLines, !plain, `${hostname}: dotLines`);
    }
  });
});
