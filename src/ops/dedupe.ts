// Duplicate suppression: a client that resends after a timeout (Outlook does) must not make a
// second copy. The key is Message-ID + envelope + body hash; a hit inside the window is
// acknowledged 250 and dropped. Entries persist in spool/ops/dedupe.jsonl (append-only,
// compacted when mostly expired) so a restart keeps the window.
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DedupeRing } from './dedupe-ring.js';
import { ensureDir, opsDir, systemClock, writeJsonLinesAtomic, type Clock } from './files.js';

export interface DedupeInput {
  messageId?: string;
  sender: string;
  recipients: readonly string[];
  bodyHash: string;
}

export interface DedupeHit {
  /** Queue id of the first copy. */
  id: string;
  at: number;
}

export function dedupeFile(spoolRoot: string): string {
  return join(opsDir(spoolRoot), 'dedupe.jsonl');
}

export function dedupeKey(m: DedupeInput): string {
  const rcpts = [...m.recipients].map((r) => r.toLowerCase()).sort().join(',');
  const parts = [(m.messageId ?? '').trim(), m.sender.toLowerCase(), rcpts, m.bodyHash];
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

export class DedupeIndex {
  private readonly seen = new DedupeRing();
  private appended = 0;
  private pending: string[] = [];
  private writer?: Promise<void>;

  constructor(private windowMs: number, private readonly file?: string, private readonly clock: Clock = systemClock, private readonly maxEntries = 200_000) {}

  setWindow(ms: number): void {
    this.windowMs = ms;
  }

  get enabled(): boolean {
    return this.windowMs > 0;
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Atomically: if the key was seen inside the window, the first copy; otherwise remembers
   * this copy (id) and returns undefined.
   */
  claim(key: string, id: string): DedupeHit | undefined {
    if (!this.enabled) return undefined;
    const now = this.clock();
    this.expire(now);
    const hit = this.seen.get(key);
    if (hit && hit.at > now - this.windowMs) return hit;
    // add() drops an older entry for the key (one the clock stepped back over).
    this.seen.add(key, id, now);
    if (this.seen.size > this.maxEntries) this.expire(now, true);
    this.write({ k: key, id, t: now });
    return undefined;
  }

  /** Entries are in time order, so this only walks the expired head. */
  private expire(now: number, force = false): void {
    this.seen.expireWhile((at) => at <= now - this.windowMs || (force && this.seen.size > this.maxEntries));
  }

  /** Queues a line; one writer drains the queue (appending, or rewriting when mostly expired). */
  private write(line: { k: string; id: string; t: number }): void {
    if (!this.file) return;
    this.pending.push(JSON.stringify(line) + '\n');
    if (this.writer) return;
    const file = this.file;
    this.writer = (async () => {
      while (this.pending.length) {
        const lines = this.pending.splice(0);
        this.appended += lines.length;
        try {
          if (this.appended > 2 * this.seen.size + 1000) {
            this.expire(this.clock());
            this.appended = this.seen.size;
            await writeJsonLinesAtomic(file, this.seen.snapshot().map((e) => ({ k: e.key, id: e.id, t: e.at })));
          } else await appendFile(file, lines.join(''), { mode: 0o600 });
        } catch {
          /* losing dedupe entries only risks a duplicate, never a loss */
        }
      }
      this.writer = undefined;
    })();
  }

  async load(): Promise<void> {
    if (!this.file) return;
    await ensureDir(dirname(this.file));
    const text = await readFile(this.file, 'utf8').catch(() => '');
    const now = this.clock();
    let lines = 0;
    for (const l of text.split('\n')) {
      lines++;
      try {
        const e = JSON.parse(l) as { k: string; id: string; t: number };
        if (typeof e.k === 'string' && typeof e.id === 'string' && typeof e.t === 'number' && e.t > now - this.windowMs) this.seen.add(e.k, e.id, e.t);
      } catch {
        /* partial line after a crash */
      }
    }
    this.appended = lines;
  }

  /** Waits for pending writes (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.writer) await this.writer;
  }
}
