// 1 MiB buffers for big bodies, shared by the body-file writer (store.ts) and reader
// (upstream/file-body.ts) and reused instead of allocated per message. A buffer that lives as
// long as a big message takes to arrive or go out (hundreds of milliseconds) outlives two
// young-generation GCs, so only a full mark-compact frees it: per 5 MiB message that was 5 MiB
// of socket chunks waiting in write batches and 2 MiB of read buffers, and a mark-compact every
// few messages. A few spares are kept; the rest go back to the allocator.
export const BLOCK = 1024 * 1024;
const MAX_SPARE = 8;
const spare: Buffer[] = [];

export function takeBlock(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafe(BLOCK);
}

/** Only once nothing (no pending read, write or socket send) uses the buffer any more. */
export function giveBlock(b: Buffer): void {
  if (b.length === BLOCK && b.byteOffset === 0 && b.buffer.byteLength === BLOCK && spare.length < MAX_SPARE && !spare.includes(b)) spare.push(b);
}

/** Spare blocks held (tests). */
export function spareBlocks(): number {
  return spare.length;
}
