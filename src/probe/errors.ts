// Errors raised by the SMTP client session. Each carries a machine code (after nodemailer's
// ECONNECTION/ETIMEDOUT/ETLS) so callers classify with a switch, never by message text.

export type SessionErrorCode =
  | 'ECONNECTION' // TCP connect failed or the connection broke
  | 'ETIMEDOUT' // a phase took longer than its timeout
  | 'ECLOSED' // the peer closed the connection while we waited for a reply
  | 'EPROTOCOL' // the peer does not speak SMTP (malformed reply)
  | 'ETLS' // TLS handshake failed
  | 'EABORTED'; // the caller's AbortSignal fired

/** How a TCP connect attempt ended, in the words an admin needs. */
export type ConnectClass = 'connected' | 'refused' | 'filtered' | 'unreachable' | 'reset' | 'error';

export class SmtpSessionError extends Error {
  readonly code: SessionErrorCode;
  /** errno code from the socket, e.g. ECONNREFUSED, when there was one. */
  readonly errno?: string;
  /** Set for connect failures. */
  readonly connectClass?: ConnectClass;
  constructor(code: SessionErrorCode, message: string, opts: { errno?: string; connectClass?: ConnectClass; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SmtpSessionError';
    this.code = code;
    this.errno = opts.errno;
    this.connectClass = opts.connectClass;
  }
}

/** Maps a socket errno to the connect classification (timeout is handled by the caller). */
export function classifyConnectErrno(errno: string | undefined): ConnectClass {
  switch (errno) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'filtered';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return 'unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return 'error';
  }
}
