// Turns one DATA stream into a committed queue entry: body (Received header + client bytes)
// written and fsync'd in data/, then the envelope record committed into incoming/. Streams in
// chunks: memory use does not depend on message size.
import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DataGuard, violationReply } from './guard.js';
import { noteStreamed } from './memory.js';
import type { Spool } from './spool.js';
import type { QueueRecord, RelayHooks, RelayOptions } from './types.js';

/** Bytes gathered before one writev to the body file. */
const WRITE_BATCH = 256 * 1024;
/** Bodies up to this size are handed to the scheduler in memory as well. */
const KEEP_BODY = 64 * 1024;

export interface MessageMeta {
  sender: string;
  recipients: string[];
  client: string;
  helo?: string;
  esmtp: boolean;
  /** Sees every DATA chunk as received (ops: body hash, Message-ID, Subject). */
  tap?: { update(chunk: Buffer): void };
}

export interface StoredMessage {
  record: QueueRecord;
  /** The body bytes as written, kept for small messages so delivery need not read them back. */
  body?: Buffer;
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

export function receivedHeader(id: string, meta: MessageMeta, hostname: string, now = new Date()): string {
  const helo = (meta.helo ?? 'unknown').replace(/[^\x21-\x7e]|[()]/g, '').slice(0, 255) || 'unknown';
  const addr = meta.client.includes(':') ? `IPv6:${meta.client}` : meta.client;
  const forClause = meta.recipients.length === 1 ? `\r\n\tfor <${meta.recipients[0]}>` : '';
  const date = now.toUTCString().replace(/GMT$/, '+0000');
  return `Received: from ${helo} ([${addr}])\r\n\tby ${hostname} (omr-relay) with ${meta.esmtp ? 'ESMTP' : 'SMTP'} id ${id}${forClause};\r\n\t${date}\r\n`;
}

export async function storeMessage(spool: Spool, opts: RelayOptions, stream: Readable & { sizeExceeded?: boolean }, meta: MessageMeta, hooks?: RelayHooks): Promise<StoreResult> {
  const id = spool.newId();
  const path = spool.bodyPath(id);
  const guard = new DataGuard(opts.maxLineLength, opts.maxHeaderSize);
  const header = Buffer.from(receivedHeader(id, meta, opts.hostname), 'latin1');
  const hash = createHash('sha256');
  let fh: FileHandle | undefined;
  let writeError: unknown;
  // Chunks are gathered and written with one writev per WRITE_BATCH bytes: a small message costs
  // one write instead of one per chunk (each is a trip through libuv's thread pool).
  let batch: Buffer[] = [header];
  let batched = header.length;
  let kept: Buffer[] | undefined = [header];
  let keptBytes = header.length;
  const flush = async (): Promise<void> => {
    const bufs = batch;
    batch = [];
    batched = 0;
    if (!writeError && fh && bufs.length) await fh.writev(bufs).catch((e) => void (writeError = e));
  };
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    writeError = e;
  }
  // Always drain the client's data so the session stays in step, even after a failure.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    noteStreamed(chunk.length);
    meta.tap?.update(chunk);
    if (!guard.check(chunk) || writeError || !fh) continue;
    hash.update(chunk);
    batch.push(chunk);
    batched += chunk.length;
    if (kept && (keptBytes += chunk.length) <= KEEP_BODY) kept.push(chunk);
    else kept = undefined;
    if (batched >= WRITE_BATCH) await flush();
  }
  await flush();
  guard.finish();
  const refuse = (code: number, text: string, reason: string): StoreResult => ({ ok: false, code, text, reason, bytes: guard.bytes });
  let committed = false;
  let stagedPath: string | undefined;
  try {
    if (writeError) throw new SpoolWriteError(writeError);
    if (stream.sizeExceeded || guard.bytes > opts.maxMessageSize)
      return refuse(552, `5.3.4 message exceeds the limit of ${opts.maxMessageSize} bytes`, 'size');
    if (guard.violation) {
      const r = violationReply(guard.violation);
      return refuse(r.code, r.text, guard.violation.kind);
    }
    const body = fh!;
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
      bodyHash: hash.digest('hex'),
    };
    const verdict = await hooks?.beforeCommit?.(record, path);
    if (verdict === 'duplicate') return { ok: true, msg: { record }, duplicate: true };
    if (verdict) return refuse(verdict.code, verdict.text, 'policy');
    // Body and record are fsync'd in parallel; the record is renamed into incoming/ (the commit
    // point) only once the body and its directory entry are durable, and the 250 waits for the
    // fsync of incoming/. Directory fsyncs are shared by concurrent sessions (DirSyncer).
    const [bodyDone, staged] = await Promise.allSettled([
      body
        .sync()
        .then(() => {
          fh = undefined;
          return body.close();
        })
        .then(() => spool.syncer.sync(spool.dir('data'))),
      spool.stageRecord('incoming', record),
    ]);
    if (staged.status === 'fulfilled') stagedPath = staged.value;
    if (bodyDone.status === 'rejected') throw new SpoolWriteError(bodyDone.reason);
    if (staged.status === 'rejected') throw new SpoolWriteError(staged.reason);
    await spool.commitStaged(staged.value, 'incoming', id).catch((e) => {
      throw new SpoolWriteError(e);
    });
    committed = true;
    return { ok: true, msg: { record, body: kept ? Buffer.concat(kept) : undefined } };
  } catch (e) {
    throw e instanceof SpoolWriteError ? e : new SpoolWriteError(e);
  } finally {
    if (!committed) await cleanup();
  }

  async function cleanup(): Promise<void> {
    await fh?.close().catch(() => undefined);
    fh = undefined;
    if (stagedPath) await unlink(stagedPath).catch(() => undefined);
    await unlink(path).catch(() => undefined);
  }
}
