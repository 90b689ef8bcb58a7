// RFC 3464 delivery status notifications: multipart/report with a human part, a
// message/delivery-status part and the original headers. Sent with the null sender so a
// failing bounce can never bounce again.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Logger } from '../core/logger.js';
import type { Spool } from './spool.js';
import type { QueueRecord } from './types.js';

export interface DsnInput {
  id: string;
  hostname: string;
  sender: string;
  arrivalDate: string;
  failed: Array<{ address: string; reply: string }>;
  /** Original header block (bounded). */
  originalHeaders: string;
  reason?: string;
}

/** Reads the header block of a spooled body, at most `limit` bytes. */
export async function readHeaderBlock(path: string, limit = 64 * 1024): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(limit);
    const { bytesRead } = await fh.read(buf, 0, limit, 0);
    return headerBlockOf(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** The header block (up to and including the CRLF before the blank line) of a message's bytes. */
export function headerBlockOf(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return end === -1 ? text : text.slice(0, end + 2);
}

function status(reply: string): { code: string; action: string } {
  const m = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(reply);
  if (m) return { code: `${m[1]}.${m[2]}.${m[3]}`, action: 'failed' };
  const basic = /^([45])\d\d/.exec(reply);
  return { code: basic ? `${basic[1]}.0.0` : '5.0.0', action: 'failed' };
}

export function buildDsn(d: DsnInput, now = new Date()): Buffer {
  const boundary = `omr-dsn-${randomBytes(8).toString('hex')}`;
  const date = now.toUTCString().replace(/GMT$/, '+0000');
  const lines = (s: string): string => s.replace(/\r?\n/g, '\r\n');
  const human = [
    `This is the mail relay at ${d.hostname}.`,
    '',
    `Your message (queue id ${d.id}) could not be delivered to ${d.failed.length === 1 ? 'this recipient' : 'these recipients'}:`,
    '',
    ...d.failed.map((f) => `  <${f.address}>: ${f.reply}`),
    '',
    d.reason ?? 'The smarthost refused it permanently. The other recipients, if any, were not affected.',
  ].join('\r\n');
  const perMessage = [`Reporting-MTA: dns; ${d.hostname}`, `X-Omr-Queue-ID: ${d.id}`, `Arrival-Date: ${new Date(d.arrivalDate).toUTCString().replace(/GMT$/, '+0000')}`].join('\r\n');
  const perRcpt = d.failed
    .map((f) => {
      const s = status(f.reply);
      const diag = f.reply.replace(/[\r\n]+/g, ' ');
      return [`Final-Recipient: rfc822; ${f.address}`, `Action: ${s.action}`, `Status: ${s.code}`, `Diagnostic-Code: smtp; ${diag}`].join('\r\n');
    })
    .join('\r\n\r\n');
  const msg = [
    `From: Mail Delivery System <MAILER-DAEMON@${d.hostname}>`,
    `To: <${d.sender}>`,
    `Subject: Undelivered Mail Returned to Sender`,
    `Date: ${date}`,
    `Message-ID: <${d.id}.dsn.${randomBytes(4).toString('hex')}@${d.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    perMessage,
    '',
    perRcpt,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    lines(d.originalHeaders).replace(/(\r\n)+$/, ''),
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return Buffer.from(msg, 'latin1');
}

/**
 * Queues one DSN for newly failed recipients and marks them notified. A bounce is never
 * bounced: failures of a null-sender message are only logged.
 */
export async function queueBounce(spool: Spool, hostname: string, logger: Logger, rec: QueueRecord, failed: Array<{ address: string; reply: string }>, original?: Buffer): Promise<{ record: QueueRecord; dsnId?: string }> {
  const record = { ...rec, recipients: rec.recipients.map((r) => (r.status === 'failed' ? { ...r, notified: true } : r)) };
  if (rec.isBounce || rec.sender === '') {
    logger.warn('bounce undeliverable, dropped (never bounce a bounce)', { id: rec.id, rcpts: failed.map((f) => f.address) });
    return { record };
  }
  const headers = original ? headerBlockOf(original.subarray(0, 64 * 1024)) : await readHeaderBlock(spool.bodyPath(rec.id)).catch(() => '');
  const body = buildDsn({ id: rec.id, hostname, sender: rec.sender, arrivalDate: rec.createdAt, failed, originalHeaders: headers });
  const now = new Date().toISOString();
  const dsn = await spool.inject(body, {
    sender: '', recipients: [{ address: rec.sender, status: 'pending' }], createdAt: now, attempts: 0, nextAttemptAt: now, client: '', isBounce: true,
  });
  logger.warn('bounce queued', { id: rec.id, dsn: dsn.id, to: rec.sender, failed: failed.length });
  return { record, dsnId: dsn.id };
}
