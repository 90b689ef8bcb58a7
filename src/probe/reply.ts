// SMTP reply framing (RFC 5321 4.2): "250-first", "250-more", "250 last". Pure and incremental,
// so the session can feed it socket chunks and unit tests can feed it strings.

export interface SmtpReply {
  /** Three-digit reply code, e.g. 220, 250, 421. */
  code: number;
  /** Text of each line without the code and separator ("250-SIZE 1000" -> "SIZE 1000"). */
  lines: string[];
  /** Lines joined with a space: convenient for summaries. */
  text: string;
  /** Enhanced status code (RFC 3463) from the first line, e.g. "4.7.0", when present. */
  enhanced?: string;
  /** The raw lines as received (without CRLF). */
  raw: string[];
}

export class ReplyFormatError extends Error {
  readonly line: string;
  constructor(message: string, line: string) {
    super(message);
    this.name = 'ReplyFormatError';
    this.line = line;
  }
}

const LINE = /^(\d{3})([ -]|$)(.*)$/;
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/;

/** Limits that keep a hostile or broken peer from making us buffer forever. */
export const MAX_LINE_BYTES = 4096;
export const MAX_REPLY_LINES = 512;

/**
 * Accumulates bytes and yields complete replies. `push` returns the replies completed by the
 * chunk; a malformed line throws ReplyFormatError (the peer is not speaking SMTP).
 */
export class ReplyParser {
  private partial = '';
  private pending: string[] = [];
  private pendingCode: string | undefined;

  push(chunk: string): SmtpReply[] {
    this.partial += chunk;
    const out: SmtpReply[] = [];
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) !== -1) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      const reply = this.line(line);
      if (reply) out.push(reply);
    }
    if (this.partial.length > MAX_LINE_BYTES) {
      throw new ReplyFormatError(`reply line longer than ${MAX_LINE_BYTES} bytes without a line end`, this.partial.slice(0, 80));
    }
    return out;
  }

  /** True when part of a reply has been received but not its last line. */
  get midReply(): boolean {
    return this.pending.length > 0 || this.partial.length > 0;
  }

  /** Drops buffered bytes (used after STARTTLS: plaintext sent before the handshake is untrusted). */
  reset(): string {
    const dropped = [...this.pending, this.partial].filter(Boolean).join('\n');
    this.partial = '';
    this.pending = [];
    this.pendingCode = undefined;
    return dropped;
  }

  private line(line: string): SmtpReply | undefined {
    const m = LINE.exec(line);
    if (!m) throw new ReplyFormatError('the server sent a line that is not an SMTP reply', line.slice(0, 200));
    const [, code, sep, text] = m as unknown as [string, string, string, string];
    if (this.pendingCode !== undefined && code !== this.pendingCode) {
      throw new ReplyFormatError(`reply code changed inside a multi-line reply (${this.pendingCode} then ${code})`, line);
    }
    this.pending.push(line);
    this.pendingCode = code;
    if (this.pending.length > MAX_REPLY_LINES) throw new ReplyFormatError(`reply longer than ${MAX_REPLY_LINES} lines`, line);
    if (sep === '-') return undefined;
    const raw = this.pending;
    this.pending = [];
    this.pendingCode = undefined;
    return makeReply(Number(code), raw);
  }
}

function makeReply(code: number, raw: string[]): SmtpReply {
  const lines = raw.map((l) => l.slice(4));
  const enhanced = ENHANCED.exec(lines[0] ?? '')?.[1];
  return { code, lines, text: lines.join(' ').trim(), enhanced, raw };
}

/** "421 4.7.0 Too many connections" style one-liner for summaries and details. */
export function formatReply(reply: SmtpReply): string {
  return `${reply.code} ${reply.text}`.trim();
}
