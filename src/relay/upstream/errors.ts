// The relay's upstream failure: the same fields nodemailer used (code, responseCode, command,
// response), so classify.ts decides as it always did. Network-level failures (connect, timeout,
// dropped connection, TLS) say command 'CONN' like nodemailer, so that a connection lost during
// AUTH is a retry, not an account problem.
import type { UpstreamFailure } from '../classify.js';
import type { SmtpReply } from '../../probe/reply.js';

export class UpstreamError extends Error implements UpstreamFailure {
  readonly code: string;
  readonly responseCode?: number;
  readonly command?: string;
  readonly response?: string;
  constructor(code: string, message: string, f: { responseCode?: number; command?: string; response?: string } = {}) {
    super(message);
    this.name = 'UpstreamError';
    this.code = code;
    this.responseCode = f.responseCode;
    this.command = f.command;
    this.response = f.response;
  }

  /** The failure as SendResult carries it (a plain object, nothing else attached). */
  toFailure(): UpstreamFailure & { message: string } {
    const f: UpstreamFailure & { message: string } = { code: this.code, message: this.message };
    if (this.responseCode !== undefined) f.responseCode = this.responseCode;
    if (this.command !== undefined) f.command = this.command;
    if (this.response !== undefined) f.response = this.response;
    return f;
  }
}

/** The whole reply as nodemailer gave it in `response`: "550 5.1.1 no such user". */
export function replyString(r: SmtpReply): string {
  return r.raw.join('\n');
}

/** A refusal of `command`: the reply's code and text, classified by code. */
export function replyError(code: string, command: string, r: SmtpReply, what = command): UpstreamError {
  return new UpstreamError(code, `${what} refused: ${replyString(r)}`, { responseCode: r.code, command, response: replyString(r) });
}

/** A network-level failure (no reply): always command 'CONN'. */
export function netError(code: string, message: string): UpstreamError {
  return new UpstreamError(code, message, { command: 'CONN' });
}

export function toUpstreamError(e: unknown): UpstreamError {
  if (e instanceof UpstreamError) return e;
  const err = e as NodeJS.ErrnoException;
  return netError('ECONNECTION', `connection error: ${err?.code ?? err?.message ?? String(e)}`);
}
