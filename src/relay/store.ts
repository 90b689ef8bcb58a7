// Turns one DATA stream into a committed queue entry (Received header + client bytes). Small
// messages are appended to the shared journal (group commit); larger ones stream to a body file
// in data/ with the envelope record committed into incoming/, so memory use does not depend on
// message size.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BLOCK, giveBlock, takeBlock } from './block-pool.js';
import { bodyHash } from './body-hash.js';
import { DataGuard, violationReply } from './guard.js';
import { noteStreamed } from './memory.js';
import type { JournalRef } from './journal/scan.js';
import type { Spool } from './spool.js';
import type { QueueRecord, RelayHooks, RelayOptions } from './types.js';

/** Messages up to this size (with our Received header) go to the journal, larger ones to their own file. */
export const JOURNAL_MAX = 256 * 1024;

export interface MessageMeta {
  sender: string;
  recipients: string[];
  client: string;
  helo?: string;
  esmtp: boolean;
  /** Sees every DATA chunk as received (ops: body hash, Message-ID, Subject). */
  tap?: { update(chunk: Buffer): void; finish?(): { bodyHash: string } };
}

export interface StoredMessage {
  record: QueueRecord;
  /** The body bytes as written, for journaled messages, so delivery need not read them back. */
  body?: Buffer;
  /** Where the message is in the journal (absent: it has its own spool files). */
  journal?: JournalRef;
}

export type StoreResult =
  | { ok: true; msg: StoredMessage; duplicate?: boolean }
  | { ok: false; code: number; text: string; reason: string; bytes: number };

/** A local failure to store: 452 when the disk is full, 451 otherwise; never 5xx. */
export class SpoolWriteError extends Error {
  readonly responseCode: number;
  constructor(cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    super(full ? '4.3.1 Insufficient system storage, try again later' : '4.3.0 Local error in processing, try again later', { cause });
    this.responseCode = full ? 452 : 451;
  }
}

/** An address that may go into the for clause as it is: printable ASCII, no space or angle bracket. */
const PLAIN_ADDRESS = /^[!-;=?-~]{1,320}$/;

/**
 * Our Received header. Everything a client chose is reduced to printable ASCII: the header is
 * stored as latin1 and delivered without re-encoding (crlf/dotLines), so a character such as
 * U+010D would otherwise become a CR in it (and U+010A an LF: "\r\n.\r\n" ends DATA).
 */
export function receivedHeader(id: string, meta: MessageMeta, hostname: string, now = new Date()): string {
  const helo = (meta.helo ?? 'unknown').replace(/[^\x21-\x7e]|[()]/g, '').slice(0, 255) || 'unknown';
  const addr = meta.client.includes(':') ? `IPv6:${meta.client}` : meta.client;
  const rcpt = meta.recipients[0];
  const forClause = meta.recipients.length === 1 && rcpt && PLAIN_ADDRESS.test(rcpt) ? `\r\n\tfor <${rcpt}>` : '';
  const date = now.toUTCString().replace(/GMT$/, '+0000');
  return `Received: from ${helo} ([${addr}])\r\n\tby ${hostname} (omr-relay) with ${meta.esmtp ? 'ESMTP' : 'SMTP'} id ${id}${forClause};\r\n\t${date}\r\n`;
}

/** Text delivery may send as it is: printable ASCII and TAB, CRLF line ends, no line starting with '.'. */
export function isPlainHeader(text: string): boolean {
  return !/[^\t\x20-\x7e\r\n]|\r(?!\n)|(?<!\r)\n|(?:^|\n)\./.test(text);
}

export async function storeMessage(spool: Spool, opts: RelayOptions, stream: Readable & { sizeExceeded?: boolean }, meta: MessageMeta, hooks?: RelayHooks): Promise<StoreResult> {
  const id = spool.newId();
  const guard = new DataGuard(opts.maxLineLength, opts.maxHeaderSize);
  const headerText = receivedHeader(id, meta, opts.hostname);
  const header = Buffer.from(headerText, 'latin1');
  // Delivery sends what the guard vouched for unencoded; the guard only saw the client's bytes,
  // so our header must be plain too, or the record claims nothing (full re-encoding).
  const headerPlain = isPlainHeader(headerText);
  // The ops tap hashes the body already: one hash per message, not two.
  const hash = meta.tap?.finish ? undefined : bodyHash();
  const journal = spool.journal;
  // Small messages are gathered in memory and go to the journal in one append; a message that
  // outgrows JOURNAL_MAX (or any message when there is no journal) streams to its own body file.
  let held: Buffer[] | undefined = journal ? [header] : undefined;
  let heldBytes = header.length;
  const file = new BodyFile(spool.bodyPath(id));
  if (!held) file.start([header]);
  // Always drain the client's data so the session stays in step, even after a failure.
  const drained = forEachChunk(stream, (chunk) => {
    noteStreamed(chunk.length);
    meta.tap?.update(chunk);
    if (!guard.check(chunk) || file.failed) return;
    hash?.update(chunk);
    if (held) {
      held.push(chunk);
      if ((heldBytes += chunk.length) <= JOURNAL_MAX) return;
      const started = file.start(held);
      held = undefined;
      return started;
    }
    return file.add(chunk);
  });
  // A client that goes away mid-DATA leaves no body file (and no open handle) behind.
  await drained.catch(async (e: unknown) => {
    await file.discardUnlessCommitted();
    throw e;
  });
  guard.finish();
  const refuse = (code: number, text: string, reason: string): StoreResult => ({ ok: false, code, text, reason, bytes: guard.bytes });
  try {
    await file.flush();
    if (file.error) throw new SpoolWriteError(file.error);
    if (stream.sizeExceeded || guard.bytes > opts.maxMessageSize)
      return refuse(552, `5.3.4 message exceeds the limit of ${opts.maxMessageSize} bytes`, 'size');
    if (guard.violation) {
      const r = violationReply(guard.violation);
      return refuse(r.code, r.text, guard.violation.kind);
    }
    const now = new Date().toISOString();
    const record: QueueRecord = {
      v: 1,
      id,
      sender: meta.sender,
      recipients: meta.recipients.map((address) => ({ address, status: 'pending' })),
      size: header.length + guard.bytes,
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
      client: meta.client,
      helo: meta.helo,
      bodyHash: hash ? hash.digest() : meta.tap!.finish!().bodyHash,
      crlf: headerPlain,
      dotLines: headerPlain ? guard.dotLines : true,
    };
    const verdict = await hooks?.beforeCommit?.(record);
    if (verdict === 'duplicate') return { ok: true, msg: { record }, duplicate: true };
    if (verdict) return refuse(verdict.code, verdict.text, 'policy');
    if (held && journal) {
      const ref = await journal.append(record, held).catch((e) => {
        throw new SpoolWriteError(e);
      });
      return { ok: true, msg: { record, body: held.length === 1 ? held[0] : Buffer.concat(held, heldBytes), journal: ref } };
    }
    await commitFile(spool, file, record);
    return { ok: true, msg: { record } };
  } catch (e) {
    throw e instanceof SpoolWriteError ? e : new SpoolWriteError(e);
  } finally {
    await file.discardUnlessCommitted();
  }
}

/**
 * Feeds every chunk to `fn` in order, pausing the stream while a promise `fn` returned is
 * pending. Not `for await`: a stream's async iterator reads everything buffered at once, which
 * concatenates (copies) the chunks that piled up meanwhile.
 */
async function forEachChunk(stream: Readable, fn: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  const done = finished(stream, { writable: false });
  let last: Promise<void> | undefined;
  stream.on('data', (chunk: Buffer) => {
    let wait: Promise<void> | void;
    try {
      wait = fn(chunk);
    } catch (e) {
      stream.destroy(e as Error); // as a throwing for-await body would: the caller sees the error
      return;
    }
    if (!wait) return;
    stream.pause();
    last = wait.finally(() => stream.resume());
  });
  try {
    await done;
  } finally {
    // The stream can end (or fail) while the last chunk's work is still running (a block being
    // written, the rest of a chunk waiting to be copied): the caller's final flush and fsync,
    // or its giving the block back, must come after it. That work never rejects.
    await last;
  }
}

/**
 * The body file's fsync and the record's write+fsync run in parallel; the record is renamed into
 * incoming/ (the commit point) only once the body and its directory entry are durable, and the
 * 250 waits for the fsync of incoming/. Directory fsyncs are shared by sessions (DirSyncer).
 */
async function commitFile(spool: Spool, file: BodyFile, record: QueueRecord): Promise<void> {
  const [bodyDone, staged] = await Promise.allSettled([
    file.sync().then(() => spool.syncer.sync(spool.dir('data'))),
    spool.stageRecord('incoming', record),
  ]);
  if (staged.status === 'fulfilled') file.staged = staged.value;
  if (bodyDone.status === 'rejected') throw new SpoolWriteError(bodyDone.reason);
  if (staged.status === 'rejected') throw new SpoolWriteError(staged.reason);
  await spool.commitStaged(staged.value, 'incoming', record.id).catch((e) => {
    throw new SpoolWriteError(e);
  });
  file.committed = true;
}

/**
 * A body streamed to data/ID. Chunks are copied into one pooled block and written a block at a
 * time: the socket's chunks die young (block-pool.ts), and one write per MiB keeps thread-pool
 * round trips few (1 MiB: 1.6 ms of CPU per 5 MiB written, 256 KiB: 2.0-2.3).
 */
class BodyFile {
  private fh?: Promise<FileHandle>;
  private block?: Buffer;
  private used = 0;
  /** The write in flight: the next one (and releasing the block) waits for it. */
  private writing: Promise<void> = Promise.resolve();
  error: unknown;
  staged?: string;
  committed = false;
  constructor(private readonly path: string) {}

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Opens the file and takes the chunks gathered so far; a promise when a block went out. */
  start(initial: Buffer[]): Promise<void> | undefined {
    this.fh = open(this.path, 'wx', 0o600);
    this.fh.catch((e) => void (this.error ??= e));
    let wait: Promise<void> | undefined;
    for (const b of initial) wait = wait ? wait.then(() => this.add(b)) : this.add(b);
    return wait;
  }

  /** Copies the chunk in; a promise when a full block is being written (wait before adding more). */
  add(chunk: Buffer): Promise<void> | undefined {
    const block = (this.block ??= takeBlock());
    const n = chunk.copy(block, this.used);
    this.used += n;
    if (this.used < BLOCK) return undefined;
    const written = this.flush();
    return n < chunk.length ? written.then(() => this.add(chunk.subarray(n))) : written;
  }

  flush(): Promise<void> {
    const used = this.used;
    this.used = 0;
    const block = this.block;
    this.writing = this.writing.then(async () => {
      if (!this.fh || this.error || !used || !block) return;
      try {
        await (await this.fh).write(block, 0, used);
      } catch (e) {
        this.error ??= e;
      }
    });
    return this.writing;
  }

  private async release(): Promise<void> {
    await this.writing;
    if (this.block) giveBlock(this.block);
    this.block = undefined;
  }

  async sync(): Promise<void> {
    await this.release();
    const fh = await this.fh!;
    await fh.sync();
    this.fh = undefined;
    await fh.close();
  }

  async discardUnlessCommitted(): Promise<void> {
    await this.release();
    if (this.committed) return;
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return;
    await fh.then((h) => h.close()).catch(() => undefined);
    if (this.staged) await unlink(this.staged).catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}
