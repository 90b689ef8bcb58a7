// The queue on disk, Postfix style: one directory per state, a message's envelope record moves
// between them by rename(2) (atomic, and a lock: whoever renamed a record out of a directory owns
// it). Bodies live in data/ and never change after commit. A record's mtime in deferred/ is its
// next attempt time, so the scheduler can rebuild its index with readdir+stat, no parsing.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink, utimes, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { DirSyncer } from './fsync.js';
import type { Journal } from './journal/journal.js';
import { journaledOnly } from './journal/scan.js';
import { QUEUE_STATES, type QueueRecord, type QueueState } from './types.js';

export type SpoolDir = QueueState | 'corrupt';
const ALL_DIRS = ['tmp', 'data', 'control', 'journal', 'incoming', 'active', 'deferred', 'hold', 'corrupt'] as const;

export interface IndexEntry {
  id: string;
  state: QueueState;
  /** Epoch ms when the message is due (mtime of the record). */
  due: number;
}

export class Spool {
  readonly syncer = new DirSyncer();
  /** The write-ahead journal for fresh small messages; opened by the running relay only. */
  journal?: Journal;
  private seq = 0;
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700).catch(() => undefined);
    for (const d of ALL_DIRS) await mkdir(join(this.root, d), { recursive: true, mode: 0o700 });
  }

  /** Sortable by creation time, unique across restarts and processes. */
  newId(): string {
    const t = Date.now().toString(36).toUpperCase().padStart(9, '0');
    const s = (this.seq++ % 1296).toString(36).toUpperCase().padStart(2, '0');
    return `${t}${s}${randomBytes(3).toString('hex').toUpperCase()}`;
  }

  dir(d: SpoolDir | 'tmp' | 'data' | 'control' | 'journal'): string {
    return join(this.root, d);
  }
  recordPath(state: SpoolDir, id: string): string {
    return join(this.root, state, `${id}.json`);
  }
  bodyPath(id: string): string {
    return join(this.root, 'data', id);
  }
  hasBody(id: string): Promise<boolean> {
    return exists(this.bodyPath(id));
  }

  async writeRecord(state: SpoolDir, rec: QueueRecord): Promise<void> {
    await this.commitStaged(await this.stageRecord(state, rec), state, rec.id);
  }

  /** First half of writeRecord: the record written and fsync'd in tmp/ (returns its path). */
  async stageRecord(state: SpoolDir, rec: QueueRecord): Promise<string> {
    const tmp = join(this.root, 'tmp', `${rec.id}.${process.pid}.${this.seq++}.json`);
    await writeSynced(tmp, JSON.stringify(rec) + '\n');
    if (state === 'deferred') await setDue(tmp, Date.parse(rec.nextAttemptAt));
    return tmp;
  }

  /** Second half: rename into `state` (the commit point) and fsync that directory. */
  async commitStaged(tmp: string, state: SpoolDir, id: string): Promise<void> {
    await rename(tmp, this.recordPath(state, id));
    await this.syncer.sync(this.dir(state));
  }

  async readRecord(state: SpoolDir, id: string): Promise<QueueRecord> {
    const rec = JSON.parse(await readFile(this.recordPath(state, id), 'utf8')) as QueueRecord;
    if (rec.v !== 1 || rec.id !== id || !Array.isArray(rec.recipients)) throw new Error(`record ${id} is malformed`);
    return rec;
  }

  /** Atomic move; false when the record is not there (someone else moved it). */
  async move(id: string, from: SpoolDir, to: SpoolDir, durable = false): Promise<boolean> {
    try {
      await rename(this.recordPath(from, id), this.recordPath(to, id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (durable) await this.syncer.sync(this.dir(to));
    return true;
  }

  /**
   * Removes a message for good: record first (the commit point), then the body. `durable`
   * false skips the directory fsync (after a delivery: losing the unlink to a power cut means
   * one duplicate delivery, as in Postfix, which does not fsync after removing a queue file).
   */
  async remove(id: string, state: SpoolDir, durable = true): Promise<boolean> {
    try {
      await unlink(this.recordPath(state, id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (durable) await this.syncer.sync(this.dir(state));
    await unlink(this.bodyPath(id)).catch(() => undefined);
    return true;
  }

  /** Drops only the record (its body stays for a newer copy of the record elsewhere). */
  async unlinkRecord(state: SpoolDir, id: string): Promise<void> {
    await unlink(this.recordPath(state, id)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  async ids(state: SpoolDir): Promise<string[]> {
    const names = await readdir(this.dir(state)).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  }

  /** Messages per queue directory. */
  async counts(): Promise<Record<QueueState, number>> {
    const out = {} as Record<QueueState, number>;
    const seen = new Set<string>();
    for (const s of QUEUE_STATES) {
      const ids = await this.ids(s);
      ids.forEach((id) => seen.add(id));
      out[s] = ids.length;
    }
    // Fresh messages still in the journal are waiting for their first attempt: incoming.
    out.incoming += journaledOnly(this.dir('journal'), (id) => seen.has(id)).length;
    return out;
  }

  /** Which queue a message is in right now (undefined if gone). */
  async locate(id: string): Promise<QueueState | 'corrupt' | undefined> {
    for (const s of [...QUEUE_STATES, 'corrupt'] as const) {
      if (await exists(this.recordPath(s, id))) return s;
    }
    return undefined;
  }

  /** Due times of everything the scheduler may pick up. */
  async scan(states: QueueState[] = ['incoming', 'deferred']): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    for (const state of states) {
      for (const id of await this.ids(state)) {
        const st = await stat(this.recordPath(state, id)).catch(() => undefined);
        if (st) out.push({ id, state, due: state === 'incoming' ? 0 : st.mtimeMs });
      }
    }
    return out;
  }

  async setDue(state: SpoolDir, id: string, due: number): Promise<void> {
    await setDue(this.recordPath(state, id), due);
  }

  /** Queues a locally generated message (a DSN): body, then record, both durable. */
  async inject(body: Buffer, rec: Omit<QueueRecord, 'id' | 'size' | 'v'>): Promise<QueueRecord> {
    const id = this.newId();
    await writeSynced(this.bodyPath(id), body);
    await this.syncer.sync(this.dir('data'));
    const record: QueueRecord = { v: 1, id, size: body.length, ...rec };
    await this.writeRecord('incoming', record);
    return record;
  }

  /** Moves an unreadable record aside for a human. */
  async quarantine(id: string, from: SpoolDir): Promise<void> {
    await this.move(id, from, 'corrupt', true);
  }
}

export async function writeSynced(path: string, text: string | Buffer, flags = 'wx'): Promise<void> {
  const fh = await open(path, flags, 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function setDue(path: string, due: number): Promise<void> {
  const t = new Date(Number.isFinite(due) ? due : Date.now());
  await utimes(path, t, t);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
