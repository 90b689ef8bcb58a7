// Upstream reply classification as a data table (ZoneMTA style), first match wins. Every row
// has a unit test. `scope` says what the reply is about: the whole queue (account), the
// connection, the message or one recipient.

export interface UpstreamFailure {
  /** Error code (nodemailer's names, kept by src/relay/upstream): EAUTH, ECONNECTION, ETIMEDOUT, ETLS, EDNS, EENVELOPE, EMESSAGE, ... */
  code?: string;
  responseCode?: number;
  /** Command the reply answered: CONN, EHLO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA, ... */
  command?: string;
  response?: string;
}

export type Outcome =
  /** Account problem: pause the whole queue, alarm, never bounce. */
  | 'pause'
  /** 421: busy / quota / too many connections: lower concurrency, back off with jitter. */
  | 'throttle'
  /** Retry later. */
  | 'defer'
  /** Fail (DSN) the recipient or message. */
  | 'fail';

export interface Classification {
  rule: string;
  outcome: Outcome;
  scope: 'queue' | 'connection' | 'message' | 'recipient';
  description: string;
}

interface Row extends Classification {
  when(f: UpstreamFailure): boolean;
}

const cmd = (f: UpstreamFailure): string => (f.command ?? '').toUpperCase();
const rc = (f: UpstreamFailure): number => f.responseCode ?? 0;
const is5xx = (f: UpstreamFailure): boolean => rc(f) >= 500 && rc(f) < 600;
const is4xx = (f: UpstreamFailure): boolean => rc(f) >= 400 && rc(f) < 500;
const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
const SUSPENDED = /\b(suspended|account (is )?(disabled|blocked|locked)|blocked for abuse)\b/i;

export const CLASSIFICATION_TABLE: readonly Row[] = [
  // A 421 in answer to AUTH is OMR's "too many connections for this account" (it counts sessions
  // per account, so it can only say so after AUTH): busy, not broken credentials.
  { rule: 'auth-failed', outcome: 'pause', scope: 'queue', description: '530/535/538 or an AUTH failure (other than 421): credentials or account broken; pause the queue, never bounce',
    when: (f) => rc(f) !== 421 && ([530, 535, 538].includes(rc(f)) || f.code === 'EAUTH' || f.code === 'ENOAUTH' || cmd(f).startsWith('AUTH')) },
  { rule: 'account-suspended', outcome: 'pause', scope: 'queue', description: 'reply says the account is suspended/blocked: pause the queue, never bounce',
    when: (f) => rc(f) >= 400 && SUSPENDED.test(f.response ?? '') },
  { rule: '421-busy', outcome: 'throttle', scope: 'connection', description: '421 at any stage: busy, over quota or too many connections; lower concurrency, back off with jitter',
    when: (f) => rc(f) === 421 },
  { rule: 'connect-level', outcome: 'defer', scope: 'connection', description: 'any reply to the greeting, EHLO or STARTTLS: not about this message; retry later, all sending waits (smarthost unreachable)',
    when: (f) => ['CONN', 'EHLO', 'HELO', 'STARTTLS', 'GREETING'].includes(cmd(f)) && rc(f) > 0 },
  { rule: 'network', outcome: 'defer', scope: 'connection', description: 'connect refused/timeout, DNS or TLS failure, dropped connection: temporary; all sending waits (smarthost unreachable)',
    when: (f) => rc(f) === 0 && NETWORK_CODES.has(f.code ?? '') },
  { rule: 'rcpt-5xx', outcome: 'fail', scope: 'recipient', description: '5xx to RCPT: that recipient fails (DSN), the others continue',
    when: (f) => is5xx(f) && cmd(f).startsWith('RCPT') },
  { rule: 'rcpt-4xx', outcome: 'defer', scope: 'recipient', description: '4xx to RCPT: retry that recipient later',
    when: (f) => is4xx(f) && cmd(f).startsWith('RCPT') },
  { rule: 'message-5xx', outcome: 'fail', scope: 'message', description: '5xx to MAIL FROM or DATA (or message too large): the message fails (DSN)',
    when: (f) => is5xx(f) && (cmd(f).startsWith('MAIL') || cmd(f).startsWith('DATA') || cmd(f) === '') },
  { rule: 'message-too-big', outcome: 'fail', scope: 'message', description: 'larger than the SIZE the smarthost announced: the message fails (DSN)',
    when: (f) => f.code === 'EMESSAGE' && rc(f) === 0 && cmd(f).startsWith('MAIL') },
  { rule: 'message-4xx', outcome: 'defer', scope: 'message', description: '4xx to MAIL FROM or DATA: retry the message later',
    when: (f) => is4xx(f) },
  { rule: 'unknown', outcome: 'defer', scope: 'message', description: 'anything else: retry later (never bounce on a guess)',
    when: () => true },
];

export function classify(f: UpstreamFailure): Classification {
  const row = CLASSIFICATION_TABLE.find((r) => r.when(f))!;
  const { when: _w, ...c } = row;
  return c;
}

/** Short text for logs and the queue: "550 5.1.1 no such user". */
export function replyText(f: UpstreamFailure & { message?: string }): string {
  const r = (f.response ?? '').replace(/\s+/g, ' ').trim();
  if (r) return r.slice(0, 300);
  return `${f.code ?? 'ERROR'} ${f.message ?? ''}`.trim().slice(0, 300);
}
