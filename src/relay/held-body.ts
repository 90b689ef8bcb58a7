// Big bodies just received, kept in memory within a fixed budget until their first delivery
// attempt, so that attempt need not read back the file they were fsync'd to: for a 5 MiB message
// the read-back cost the relay about 2.5 ms of CPU (a page-cache copy and 20 thread-pool round
// trips) out of about 30. The body is copied into pooled 1 MiB blocks instead of keeping the
// socket's chunks: kept chunks would be promoted to V8's old space, and their memory freed only
// by a full GC. The file stays the truth (retries, DSNs and restarts read it); a body that
// outgrows the per-message limit, or finds the pool empty, is simply not held.

const MiB = 1024 * 1024;

export class BlockPool {
  private readonly free: Buffer[] = [];
  private allocated = 0;

  /** maxBytes: the most memory held bodies may use; perMessage: bigger bodies are not held. */
  constructor(readonly maxBytes = 32 * MiB, readonly perMessage = 8 * MiB, readonly blockSize = MiB / 2) {}

  /** A new, empty held body; undefined when holding is off or every block is in use. */
  hold(): HeldBody | undefined {
    if (this.maxBytes < this.blockSize || (!this.free.length && this.allocated + this.blockSize > this.maxBytes)) return undefined;
    return new HeldBody(this);
  }

  /** @internal */
  take(): Buffer | undefined {
    const b = this.free.pop();
    if (b) return b;
    if (this.allocated + this.blockSize > this.maxBytes) return undefined;
    this.allocated += this.blockSize;
    return Buffer.allocUnsafeSlow(this.blockSize);
  }

  /** @internal */
  give(blocks: Buffer[]): void {
    this.free.push(...blocks);
  }

  /** Bytes in blocks currently holding a body. */
  get inUse(): number {
    return this.allocated - this.free.length * this.blockSize;
  }

  /** Bytes of blocks allocated so far (never more than maxBytes; kept for reuse). */
  get allocatedBytes(): number {
    return this.allocated;
  }
}

export class HeldBody {
  private blocks: Buffer[] = [];
  /** Writes of our blocks a socket may still be reading from (see release()). */
  private readonly pending: Array<Promise<void>> = [];
  private released = false;
  length = 0;

  constructor(private readonly pool: BlockPool) {}

  /** Copies the chunk in; false (and the blocks go back to the pool) when it does not fit. */
  append(chunk: Buffer): boolean {
    if (this.released) return false;
    if (this.length + chunk.length > this.pool.perMessage) return this.giveUp();
    const size = this.pool.blockSize;
    for (let off = 0; off < chunk.length; ) {
      const at = this.length % size;
      if (at === 0 && this.length / size === this.blocks.length) {
        const block = this.pool.take();
        if (!block) return this.giveUp();
        this.blocks.push(block);
      }
      const n = chunk.copy(this.blocks[this.blocks.length - 1]!, at, off, Math.min(chunk.length, off + size - at));
      off += n;
      this.length += n;
    }
    return true;
  }

  /** The body as views of the blocks, in order. */
  buffers(): Buffer[] {
    const size = this.pool.blockSize;
    return this.blocks.map((b, i) => b.subarray(0, Math.min(size, this.length - i * size)));
  }

  /** A socket holds one of our blocks until `done` settles: release() waits for it. */
  lend(done: Promise<void>): void {
    this.pending.push(done);
  }

  /** Gives the blocks back, once no socket still holds one. Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const blocks = this.blocks;
    this.blocks = [];
    if (!this.pending.length) return this.pool.give(blocks);
    void Promise.allSettled(this.pending).then(() => this.pool.give(blocks));
  }

  private giveUp(): false {
    this.release();
    return false;
  }
}
