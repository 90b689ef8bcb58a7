// A queued body file, read for delivery into (at most) two buffers that are reused: the next
// read fills one while the socket still sends the other. A fresh chunk per read (a plain read
// stream) made a 5 MiB message allocate 5 MiB of external memory that V8 only frees when pushed
// to (relay/memory.ts forces a young-generation GC every few MiB of such chunks); this way it
// allocates 2 MiB at most, and a big body's two come from the block pool (block-pool.ts) and
// go back to it once the socket is done with them. 1 MiB reads: reading 5 MiB back cost 0.7-1.0
// ms of CPU in 1 MiB reads against 1.5 ms in 256 KiB ones (each read is a thread-pool round trip).
import { open } from 'node:fs/promises';
import { BLOCK, giveBlock, takeBlock } from '../block-pool.js';
import type { Connection } from './connection.js';
import type { DotStuffer } from './dot-stuff.js';

export class BodyFile {
  /** size: the body's size as recorded (sizes the buffers; the file's end is what counts). */
  constructor(readonly path: string, readonly size: number) {}
}

/** What writeBodyFile needs of a connection (a test can stand in for it). */
export type BodySink = Pick<Connection, 'failure' | 'write' | 'writeReusable' | 'drain'>;

/** Streams the file dot-stuffed (without the terminator), respecting socket backpressure. */
export async function writeBodyFile(c: BodySink, file: BodyFile, stuffer: DotStuffer): Promise<void> {
  const fh = await open(file.path, 'r');
  try {
    const size = Math.max(1, Math.min(BLOCK, file.size));
    const alloc = (): Buffer => (size === BLOCK ? takeBlock() : Buffer.allocUnsafe(size));
    const bufs = [alloc()];
    const inFlight: Array<Promise<void> | undefined> = [];
    const readInto = async (k: number): Promise<Buffer> => {
      await inFlight[k]; // the socket must be done with this buffer before it is refilled
      const buf = (bufs[k] ??= alloc());
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      return buf.subarray(0, bytesRead);
    };
    let next = readInto(0);
    for (let k = 0; ; k ^= 1) {
      const chunk = await next;
      if (c.failure) throw c.failure; // do not read the rest of a big file for a dead connection
      if (chunk.length === 0) {
        // Back to the pool once the socket has sent them (a failed connection settles its sends
        // at once). After a read error or a failure the caller closes the connection, and the
        // buffers are simply left to the garbage collector.
        if (size === BLOCK) {
          await Promise.all(inFlight);
          bufs.forEach(giveBlock);
        }
        return;
      }
      const out = stuffer.push(chunk);
      let ok: boolean;
      if (out === chunk) ({ ok, done: inFlight[k] } = c.writeReusable(out));
      else {
        ok = c.write(out); // stuffing made a copy: the buffer is free again
        inFlight[k] = undefined;
      }
      // The next read runs while the socket drains. A body that fits one buffer has no second
      // one: its next read (which normally just finds the end) waits for this write.
      next = readInto(file.size > BLOCK ? k ^ 1 : k);
      if (!ok) await c.drain();
    }
  } finally {
    await fh.close();
  }
}
