// One mail transaction on an open session. With PIPELINING (RFC 2920) MAIL FROM, every RCPT TO
// and DATA (and RSET first, if the previous transaction failed midway) go out in one write and
// the replies are read in order: two round trips per message, envelope and body. Without it the
// commands go one by one. Replies that end the transaction (4xx/5xx to MAIL or DATA, every
// recipient refused) return a SendResult and keep the connection; a 421, a timeout or a broken
// connection throw UpstreamError and the caller closes the connection.
import type { Readable } from 'node:stream';
import type { SmtpReply } from '../../probe/reply.js';
import type { SendResult } from '../deliver.js';
import type { Connection } from './connection.js';
import { DotStuffer, stuffAll } from './dot-stuff.js';
import { BodyFile, writeBodyFile } from './file-body.js';
import { replyError, replyString, UpstreamError } from './errors.js';
import type { Session } from './session.js';

export interface Envelope {
  from: string;
  to: string[];
  /** Body size in bytes when known (SIZE= and the advertised limit). */
  size?: number;
  /** The body is known to be CRLF text (checked when it was received): a cheaper dot-stuffing. */
  crlf?: boolean;
  /** With crlf, false: no line starts with '.' either, so the body is sent as it is. */
  dotLines?: boolean;
}

/** What delivery knows of a body besides its bytes. */
export type BodyForm = Pick<Envelope, 'size' | 'crlf' | 'dotLines'>;

/** Thrown errors carry whether the body had started: before it, a retry cannot duplicate mail. */
export class TransactionError extends UpstreamError {
  bodyStarted = false;
}

const NON_ASCII = /[^\x00-\x7f]/;

function mailCommand(s: Session, env: Envelope): string {
  let params = '';
  if (s.caps.sizeAdvertised && env.size !== undefined) params += ` SIZE=${env.size}`;
  if (s.caps.smtputf8 && (NON_ASCII.test(env.from) || env.to.some((t) => NON_ASCII.test(t)))) params += ' SMTPUTF8';
  return `MAIL FROM:<${env.from}>${params}`;
}

function fatal(e: UpstreamError, bodyStarted = false): TransactionError {
  const t = new TransactionError(e.code, e.message, { responseCode: e.responseCode, command: e.command, response: e.response });
  t.bodyStarted = bodyStarted;
  return t;
}

/** Replies to the envelope commands, in order (missing ones when the connection failed). */
interface EnvelopeReplies {
  reset?: SmtpReply;
  mail?: SmtpReply;
  rcpts: SmtpReply[];
  data?: SmtpReply;
}

async function pipelined(s: Session, env: Envelope): Promise<EnvelopeReplies> {
  const lines = [mailCommand(s, env), ...env.to.map((t) => `RCPT TO:<${t}>`), 'DATA'];
  const reset = s.needsReset;
  if (reset) lines.unshift('RSET');
  s.conn.write(lines.join('\r\n') + '\r\n');
  const rs = await s.conn.read(lines.length);
  const out: EnvelopeReplies = { rcpts: [] };
  if (reset) out.reset = rs.shift();
  out.mail = rs.shift();
  out.rcpts = rs.splice(0, env.to.length);
  out.data = rs.shift();
  return out;
}

async function stepwise(s: Session, env: Envelope): Promise<EnvelopeReplies> {
  const c = s.conn;
  const one = (line: string): Promise<SmtpReply> => (c.write(line + '\r\n'), c.readOne());
  const out: EnvelopeReplies = { rcpts: [] };
  if (s.needsReset && (out.reset = await one('RSET')).code !== 250) return out;
  out.mail = await one(mailCommand(s, env));
  if (out.mail.code >= 400) return out;
  for (const t of env.to) {
    const r = await one(`RCPT TO:<${t}>`);
    out.rcpts.push(r);
    if (r.code === 421) return out;
  }
  if (out.rcpts.some((r) => r.code < 400)) out.data = await one('DATA');
  return out;
}

/** The first 421 among the replies (the server is closing): the whole attempt is throttled. */
function first421(e: EnvelopeReplies): UpstreamError | undefined {
  if (e.reset?.code === 421) return replyError('EPROTOCOL', 'RSET', e.reset);
  if (e.mail?.code === 421) return replyError('EENVELOPE', 'MAIL FROM', e.mail);
  const r = e.rcpts.find((x) => x.code === 421);
  if (r) return replyError('EENVELOPE', 'RCPT TO', r);
  if (e.data?.code === 421) return replyError('EENVELOPE', 'DATA', e.data);
  return undefined;
}

/** Sends one message; see the file comment for what throws and what returns. */
export async function transact(s: Session, env: Envelope, body: Buffer | Readable | BodyFile): Promise<SendResult> {
  if (s.caps.size > 0 && env.size !== undefined && env.size > s.caps.size) {
    return { accepted: [], rejected: [], error: { code: 'EMESSAGE', command: 'MAIL FROM', message: `message of ${env.size} bytes is larger than the smarthost's SIZE limit of ${s.caps.size}` } };
  }
  const c = s.conn;
  const rep = s.caps.pipelining ? await pipelined(s, env) : await stepwise(s, env);
  const busy = first421(rep);
  if (busy) throw fatal(busy);
  if (rep.reset && rep.reset.code !== 250) throw fatal(replyError('EPROTOCOL', 'RSET', rep.reset));
  const expected = s.caps.pipelining ? env.to.length : rep.rcpts.length;
  if (!rep.mail || rep.rcpts.length < expected || (s.caps.pipelining && !rep.data)) throw fatal(c.failure ?? new UpstreamError('ECONNECTION', 'connection lost', { command: 'CONN' }));
  s.needsReset = false;
  const accepted: string[] = [];
  const rejected: SendResult['rejected'] = [];
  rep.rcpts.forEach((r, i) => {
    if (r.code < 400) accepted.push(env.to[i]!);
    else rejected.push({ address: env.to[i]!, failure: replyError('EENVELOPE', 'RCPT TO', r).toFailure() });
  });
  let error: UpstreamError | undefined;
  if (rep.mail.code >= 400) error = replyError('EENVELOPE', 'MAIL FROM', rep.mail);
  else if (accepted.length && rep.data && rep.data.code !== 354) error = replyError('EENVELOPE', 'DATA', rep.data);
  if (error || accepted.length === 0) {
    s.needsReset = true;
    // A server that said 354 although nothing was acceptable gets an empty message (RFC 2920).
    if (rep.data?.code === 354) await endEmptyData(c);
    return error ? { accepted: [], rejected: [], error: error.toFailure() } : { accepted: [], rejected };
  }
  try {
    await writeBody(c, body, env.crlf, env.dotLines !== false);
  } catch (e) {
    throw fatal(e instanceof UpstreamError ? e : new UpstreamError('ESTREAM', `reading the queued body failed: ${(e as Error).message}`, { command: 'DATA' }), true);
  }
  const final = await c.readOne().catch((e: UpstreamError) => {
    throw fatal(e, true);
  });
  s.messages++;
  if (final.code === 421) throw fatal(replyError('EMESSAGE', 'DATA', final), true);
  if (final.code >= 400) return { accepted: [], rejected: [], error: replyError('EMESSAGE', 'DATA', final, 'message').toFailure() };
  return { accepted, rejected, response: replyString(final) };
}

async function endEmptyData(c: Connection): Promise<void> {
  c.write('.\r\n');
  await c.readOne();
}

/** Streams the body dot-stuffed, respecting socket backpressure; never holds it whole. */
async function writeBody(c: Connection, body: Buffer | Readable | BodyFile, crlf: boolean | undefined, dotLines: boolean): Promise<void> {
  if (Buffer.isBuffer(body)) {
    if (!c.write(stuffAll(body, crlf, dotLines))) await c.drain();
    return;
  }
  const s = new DotStuffer(crlf, dotLines);
  if (body instanceof BodyFile) {
    await writeBodyFile(c, body, s);
    c.write(s.end());
    return;
  }
  for await (const chunk of body) {
    if (c.failure) throw c.failure; // do not read the rest of a big file for a dead connection
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (!c.write(s.push(b))) await c.drain();
  }
  c.write(s.end());
}
