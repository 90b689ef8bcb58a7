// Watches the client's DATA bytes as they stream to disk: a hash of the whole body (for
// duplicate suppression; relay/body-hash.ts) and the header block (bounded) for Message-ID and Subject. Memory use
// does not depend on the message size.
import { bodyHash, type BodyHash } from '../relay/body-hash.js';

const MAX_HEADER = 64 * 1024;

export interface TapResult {
  bodyHash: string;
  messageId?: string;
  subject?: string;
  bytes: number;
}

export class BodyTap {
  private readonly hash: BodyHash = bodyHash();
  private head: Buffer[] = [];
  private headLen = 0;
  private headDone = false;
  bytes = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.headDone) return;
    this.head.push(chunk);
    this.headLen += chunk.length;
    const all = Buffer.concat(this.head);
    const end = all.indexOf('\r\n\r\n');
    if (end !== -1 || all.length >= MAX_HEADER) {
      this.head = [all.subarray(0, end === -1 ? MAX_HEADER : end + 2)];
      this.headDone = true;
    } else this.head = [all];
  }

  private result?: TapResult;

  /** The result; may be called more than once (the spool record takes the hash from it too). */
  finish(): TapResult {
    if (this.result) return this.result;
    const headers = parseHeaders(Buffer.concat(this.head).toString('latin1'));
    this.result = { bodyHash: this.hash.digest(), messageId: headers.get('message-id'), subject: headers.get('subject'), bytes: this.bytes };
    return this.result;
  }
}

/** First value of each header, unfolded; names lower-cased. */
export function parseHeaders(block: string): Map<string, string> {
  const out = new Map<string, string>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (m && !out.has(m[1]!.toLowerCase())) out.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  const subj = out.get('subject');
  if (subj !== undefined) out.set('subject', decodeWords(subj).slice(0, 200));
  return out;
}

/** RFC 2047 encoded words (B and Q) in UTF-8 or Latin-1; anything else is left as written. */
export function decodeWords(text: string): string {
  const raw = Buffer.from(text, 'latin1').toString('utf8');
  const base = raw.includes('\uFFFD') ? text : raw;
  return base.replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=(\s+(?==\?))?/gi, (whole, cs: string, enc: string, data: string) => {
    const charset = cs.toLowerCase().replace(/\*.*$/, '');
    const encoding = charset === 'utf-8' || charset === 'utf8' ? 'utf8' : charset === 'iso-8859-1' || charset === 'us-ascii' ? 'latin1' : undefined;
    if (!encoding) return whole;
    const bytes = enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString(encoding);
  });
}
