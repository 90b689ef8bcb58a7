// A stand-in for the upstream connection a body is written to: it copies what it was given only
// a little later, as a kernel send would, so a buffer reused too early shows in what it "sent".
import type { BodySink } from '../../src/relay/upstream/file-body.js';

export function slowSink(): BodySink & { sent(): Promise<Buffer> } {
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
