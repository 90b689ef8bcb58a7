// Accepted messages: kept in memory for tests and, with a store directory, written to disk as
// <id>.eml (the exact bytes received after dot-unstuffing) and <id>.json (envelope, TLS, auth).
// Both are written to a temporary name and renamed, so a reader never sees half a file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredMessage } from './types.js';

export class MessageStore {
  private list: StoredMessage[] = [];
  private seq = 0;
  private waiters = new Set<() => void>();

  constructor(
    private readonly dir: string | undefined,
    private readonly keepRaw: boolean,
  ) {}

  async init(): Promise<void> {
    if (this.dir) await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Unique, sortable id: time, then a per-process sequence number. */
  nextId(now: number): string {
    this.seq++;
    return `${new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '')}-${String(this.seq).padStart(6, '0')}`;
  }

  /** Write the message to the store directory, if there is one (before the 250). */
  async persist(msg: StoredMessage, raw: Buffer): Promise<void> {
    if (this.dir) {
      const file = join(this.dir, `${msg.id}.eml`);
      const metaFile = join(this.dir, `${msg.id}.json`);
      await writeFile(file + '.tmp', raw, { mode: 0o600 });
      await rename(file + '.tmp', file);
      msg.file = file;
      msg.metaFile = metaFile;
      const meta = { ...msg, raw: undefined };
      await writeFile(metaFile + '.tmp', JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
      await rename(metaFile + '.tmp', metaFile);
    }
  }

  /** Make the message visible to messages() and waitFor() (after the counters are updated). */
  record(msg: StoredMessage, raw: Buffer): StoredMessage {
    if (this.keepRaw) msg.raw = raw;
    this.list.push(msg);
    for (const w of [...this.waiters]) w();
    return msg;
  }

  all(): StoredMessage[] {
    return [...this.list];
  }

  clear(): void {
    this.list = [];
  }

  /** Resolves once at least n messages are stored; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs: number): Promise<StoredMessage[]> {
    if (this.list.length >= n) return Promise.resolve(this.all());
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.list.length < n) return;
        done();
        resolve(this.all());
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`waitForMessages: ${this.list.length} of ${n} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}
