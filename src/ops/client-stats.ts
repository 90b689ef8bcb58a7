// Per-LAN-client accounting over sliding windows (last hour, last day). Counts live in
// fixed-width time buckets per client (5 minutes by default, 24 hours kept), so memory is bounded
// by clients x buckets, and distinct domains/senders are capped per bucket. A snapshot in
// spool/ops/clients.json carries the counters across restarts.
import { join } from 'node:path';
import { opsDir, readJson, systemClock, writeJsonAtomic, type Clock } from './files.js';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface ClientCounters {
  sessions: number;
  messages: number;
  recipients: number;
  /** Distinct recipient domains (capped per bucket, so a lower bound under attack). */
  domains: number;
  senders: number;
  bytes: number;
  rejects: number;
}

export interface ClientRow extends ClientCounters {
  client: string;
  lastSeen: string;
}

interface Bucket {
  s: number;
  /** Time of the last event in the bucket. */
  l: number;
  sess: number;
  msg: number;
  rcpt: number;
  bytes: number;
  rej: number;
  dom: Set<string>;
  snd: Set<string>;
}

type BucketJson = Omit<Bucket, 'dom' | 'snd'> & { dom: string[]; snd: string[] };

interface Snapshot {
  v: 1;
  bucketMs: number;
  savedAt: number;
  clients: Record<string, BucketJson[]>;
}

export interface ClientStatsOptions {
  bucketMs?: number;
  keepMs?: number;
  maxClients?: number;
  maxDistinct?: number;
  clock?: Clock;
}

export function clientsFile(spoolRoot: string): string {
  return join(opsDir(spoolRoot), 'clients.json');
}

const domainOf = (addr: string): string => addr.slice(addr.lastIndexOf('@') + 1).toLowerCase();

export class ClientStats {
  private readonly clients = new Map<string, Bucket[]>();
  private readonly bucketMs: number;
  private readonly keepMs: number;
  private readonly maxClients: number;
  private readonly maxDistinct: number;
  readonly clock: Clock;
  private dirty = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly file?: string, o: ClientStatsOptions = {}) {
    this.bucketMs = o.bucketMs ?? 5 * 60_000;
    this.keepMs = o.keepMs ?? DAY + this.bucketMs;
    this.maxClients = o.maxClients ?? 5000;
    this.maxDistinct = o.maxDistinct ?? 256;
    this.clock = o.clock ?? systemClock;
  }

  session(client: string): void {
    this.bucket(client).sess++;
  }

  message(client: string, m: { sender: string; recipients: readonly string[]; bytes: number }): void {
    const b = this.bucket(client);
    b.msg++;
    b.rcpt += m.recipients.length;
    b.bytes += m.bytes;
    if (m.sender && b.snd.size < this.maxDistinct) b.snd.add(m.sender.toLowerCase());
    for (const r of m.recipients) if (b.dom.size < this.maxDistinct) b.dom.add(domainOf(r));
  }

  reject(client: string): void {
    this.bucket(client).rej++;
  }

  /** Counters of every client seen within `windowMs`, busiest first (messages, then recipients). */
  query(windowMs: number): ClientRow[] {
    const since = this.clock() - windowMs;
    const rows: ClientRow[] = [];
    for (const [client, buckets] of this.clients) {
      const inWin = buckets.filter((b) => b.s + this.bucketMs > since);
      if (inWin.length) rows.push(sum(client, inWin));
    }
    return rows.sort((a, b) => b.messages - a.messages || b.recipients - a.recipients || b.rejects - a.rejects || a.client.localeCompare(b.client));
  }

  /** Hour and day rows merged per client, ranked by the last hour then the last day. */
  ranking(): Array<{ client: string; lastSeen: string; hour: ClientCounters; day: ClientCounters }> {
    const hour = new Map(this.query(HOUR).map((r) => [r.client, r]));
    return this.query(DAY)
      .map((d) => ({ client: d.client, lastSeen: d.lastSeen, hour: counters(hour.get(d.client)), day: counters(d) }))
      .sort((a, b) => b.hour.messages - a.hour.messages || b.day.messages - a.day.messages || b.hour.recipients - a.hour.recipients || a.client.localeCompare(b.client));
  }

  private bucket(client: string): Bucket {
    const now = this.clock();
    const s = now - (now % this.bucketMs);
    let list = this.clients.get(client);
    if (!list) {
      if (this.clients.size >= this.maxClients) this.evict();
      list = [];
      this.clients.set(client, list);
    }
    this.dirty = true;
    let b = list[list.length - 1];
    if (!b || b.s !== s) {
      b = { s, l: now, sess: 0, msg: 0, rcpt: 0, bytes: 0, rej: 0, dom: new Set(), snd: new Set() };
      list.push(b);
      const cut = now - this.keepMs;
      while (list.length && list[0]!.s + this.bucketMs <= cut) list.shift();
    }
    b.l = now;
    return b;
  }

  /** Drops the client seen least recently (keeps memory bounded when addresses churn). */
  private evict(): void {
    let victim: string | undefined;
    let oldest = Infinity;
    for (const [c, l] of this.clients) {
      const last = l[l.length - 1]?.s ?? 0;
      if (last < oldest) [oldest, victim] = [last, c];
    }
    if (victim !== undefined) this.clients.delete(victim);
  }

  toJSON(): Snapshot {
    const cut = this.clock() - this.keepMs;
    const clients: Record<string, BucketJson[]> = {};
    for (const [c, list] of this.clients) {
      const keep = list.filter((b) => b.s + this.bucketMs > cut).map((b) => ({ ...b, dom: [...b.dom], snd: [...b.snd] }));
      if (keep.length) clients[c] = keep;
    }
    return { v: 1, bucketMs: this.bucketMs, savedAt: this.clock(), clients };
  }

  restore(snap: Snapshot | undefined): void {
    if (!snap || snap.v !== 1 || snap.bucketMs !== this.bucketMs || typeof snap.clients !== 'object') return;
    for (const [c, list] of Object.entries(snap.clients)) {
      if (!Array.isArray(list)) continue;
      this.clients.set(c, list.map((b) => ({ ...b, dom: new Set(b.dom), snd: new Set(b.snd) })));
    }
  }

  async load(): Promise<void> {
    if (this.file) this.restore(await readJson<Snapshot>(this.file));
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    this.dirty = false;
    await writeJsonAtomic(this.file, this.toJSON());
  }

  /** Saves every `intervalMs` while running. */
  autosave(intervalMs = 30_000, onError?: (e: unknown) => void): void {
    this.timer = setInterval(() => void this.save().catch((e) => onError?.(e)), intervalMs);
    this.timer.unref?.();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }
}

function sum(client: string, buckets: Bucket[]): ClientRow {
  const dom = new Set<string>();
  const snd = new Set<string>();
  const r: ClientRow = { client, sessions: 0, messages: 0, recipients: 0, domains: 0, senders: 0, bytes: 0, rejects: 0, lastSeen: '' };
  for (const b of buckets) {
    r.sessions += b.sess;
    r.messages += b.msg;
    r.recipients += b.rcpt;
    r.bytes += b.bytes;
    r.rejects += b.rej;
    for (const d of b.dom) dom.add(d);
    for (const s of b.snd) snd.add(s);
  }
  r.domains = dom.size;
  r.senders = snd.size;
  r.lastSeen = new Date(Math.max(...buckets.map((b) => b.l ?? b.s))).toISOString();
  return r;
}

function counters(r: ClientCounters | undefined): ClientCounters {
  const { sessions = 0, messages = 0, recipients = 0, domains = 0, senders = 0, bytes = 0, rejects = 0 } = r ?? {};
  return { sessions, messages, recipients, domains, senders, bytes, rejects };
}

/** Reads the snapshot a (possibly stopped) relay left, for `omr relay clients` without a relay. */
export async function loadClientStats(spoolRoot: string, clock?: Clock): Promise<ClientStats> {
  const s = new ClientStats(clientsFile(spoolRoot), { clock });
  await s.load();
  return s;
}
