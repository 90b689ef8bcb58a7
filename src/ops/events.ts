// The per-day event log: one JSON line per queued, refused, duplicate or delivered message, in
// spool/ops/events/YYYY-MM-DD.jsonl. Append-only, so `omr relay trace` can read it while the
// relay writes; bounded by keeping `retentionDays` files.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirSync, opsDir, systemClock, type Clock } from './files.js';

export type OpsEvent =
  | { t: number; ev: 'queued'; id: string; client: string; sender: string; rcpts: string[]; size: number; subject?: string; msgid?: string }
  | { t: number; ev: 'duplicate'; id: string; client: string; sender: string; rcpts: string[]; size: number; subject?: string; msgid?: string; first: string }
  | { t: number; ev: 'reject'; client: string; reason: string; reply: string; sender?: string; rcpts?: string[]; repeats?: number }
  | { t: number; ev: 'delivery'; id: string; client: string; outcome: string; reply: string; rcpts: number };

export type OpsEventInput = OpsEvent extends infer E ? (E extends OpsEvent ? Omit<E, 't'> : never) : never;

export const DEFAULT_RETENTION_DAYS = 8;
const FILE_RE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;

export function eventsDir(spoolRoot: string): string {
  return join(opsDir(spoolRoot), 'events');
}

function dayOf(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

export class EventLog {
  private stream?: WriteStream;
  private day?: string;
  private readonly dir: string;

  constructor(spoolRoot: string, private readonly clock: Clock = systemClock, private readonly retentionDays = DEFAULT_RETENTION_DAYS) {
    this.dir = eventsDir(spoolRoot);
  }

  /** Lines that could not be written (the log is best effort: it must never fail a mail transaction). */
  errors = 0;

  append(e: OpsEventInput): void {
    try {
      const t = this.clock();
      const day = dayOf(t);
      if (day !== this.day) this.rotate(day);
      this.stream!.write(JSON.stringify({ t, ...e }) + '\n');
    } catch {
      this.errors++;
      this.day = undefined;
    }
  }

  private rotate(day: string): void {
    this.stream?.end();
    ensureDirSync(this.dir);
    this.day = day;
    this.stream = createWriteStream(join(this.dir, `${day}.jsonl`), { flags: 'a', mode: 0o600 });
    this.stream.on('error', () => void this.errors++);
    void this.prune();
  }

  /** Deletes day files older than the retention. */
  async prune(): Promise<void> {
    const oldest = dayOf(this.clock() - this.retentionDays * 86_400_000);
    for (const n of await readdir(this.dir).catch(() => [] as string[])) {
      const m = FILE_RE.exec(n);
      if (m && m[1]! < oldest) await unlink(join(this.dir, n)).catch(() => undefined);
    }
  }

  /** Flushes and closes the current file. */
  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    this.day = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.end(() => resolve()));
  }
}

/** Events with t >= since (any client, or one), oldest first. Partial trailing lines are skipped. */
export async function readEvents(spoolRoot: string, since: number, filter?: (e: OpsEvent) => boolean): Promise<OpsEvent[]> {
  const dir = eventsDir(spoolRoot);
  const first = dayOf(since);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => {
    const m = FILE_RE.exec(n);
    return m && m[1]! >= first;
  });
  const out: OpsEvent[] = [];
  for (const n of names.sort()) {
    const text = await readFile(join(dir, n), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line) continue;
      let e: OpsEvent;
      try {
        e = JSON.parse(line) as OpsEvent;
      } catch {
        continue;
      }
      if (typeof e.t === 'number' && e.t >= since && (!filter || filter(e))) out.push(e);
    }
  }
  return out.sort((a, b) => a.t - b.t);
}
