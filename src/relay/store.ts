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

export interface MessageMeta {
  sender: string;
  recipients: string[];
  client: string;
  helo?: string;
  esmtp: boolean;
}

export interface StoredMessage {
  record: QueueRecord;
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
  try {
    fh = await open(path, 'wx', 0o600);
    await fh.write(header);
  } catch (e) {
    writeError = e;
  }
  // Always drain the client's data so the session stays in step, even after a failure.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    noteStreamed(chunk.length);
    if (!guard.check(chunk) || writeError || !fh) continue;
    hash.update(chunk);
    try {
      await fh.write(chunk);
    } catch (e) {
      writeError = e;
    }
  }
  guard.finish();
  const refuse = (code: number, text: string, reason: string): StoreResult => ({ ok: false, code, text, reason, bytes: guard.bytes });
  let committed = false;
  try {
    if (writeError) throw new SpoolWriteError(writeError);
    if (stream.sizeExceeded || guard.bytes > opts.maxMessageSize)
      return refuse(552, `5.3.4 message exceeds the limit of ${opts.maxMessageSize} bytes`, 'size');
    if (guard.violation) {
      const r = violationReply(guard.violation);
      return refuse(r.code, r.text, guard.violation.kind);
    }
    await fh!.sync();
    await fh!.close();
    fh = undefined;
    await spool.syncer.sync(spool.dir('data'));
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
    await spool.writeRecord('incoming', record).catch((e) => {
      throw new SpoolWriteError(e);
    });
    committed = true;
    return { ok: true, msg: { record } };
  } catch (e) {
    throw e instanceof SpoolWriteError ? e : new SpoolWriteError(e);
  } finally {
    if (!committed) await cleanup();
  }

  async function cleanup(): Promise<void> {
    await fh?.close().catch(() => undefined);
    fh = undefined;
    await unlink(path).catch(() => undefined);
  }
}
