// Sends a held body (src/relay/held-body.ts) straight from its pooled blocks. A block handed to
// the socket is lent: the body's blocks go back to the pool only once every socket write of
// them has completed or the connection has failed, so the next message received into them can
// never be what this connection sends.
import type { HeldBody } from '../held-body.js';
import type { DotStuffer } from './dot-stuff.js';
import type { BodySink } from './file-body.js';

/** Streams the body dot-stuffed (without the terminator), respecting socket backpressure. */
export async function writeHeldBody(c: BodySink, body: HeldBody, stuffer: DotStuffer): Promise<void> {
  for (const block of body.buffers()) {
    if (c.failure) throw c.failure;
    const out = stuffer.push(block);
    let ok: boolean;
    if (out === block) {
      const w = c.writeReusable(out);
      body.lend(w.done);
      ok = w.ok;
    } else ok = c.write(out); // stuffing made a copy: the block is not the socket's
    if (!ok) await c.drain();
  }
}
