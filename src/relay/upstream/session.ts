// Opening an upstream session: connect, greeting, EHLO (HELO on 5xx), STARTTLS when asked (and
// required: not advertised = ETLS, nothing else is sent), EHLO again inside TLS, then AUTH over
// TLS only. The password goes only into the AUTH line, never into an error or a log.
import type { SmtpReply } from '../../probe/reply.js';
import type { RelayOptions } from '../types.js';
import { Connection, type TlsSettings } from './connection.js';
import { replyError, replyString, UpstreamError } from './errors.js';

export interface Capabilities {
  pipelining: boolean;
  /** Advertised SIZE limit in bytes; 0 = none announced (or no limit). */
  size: number;
  sizeAdvertised: boolean;
  starttls: boolean;
  smtputf8: boolean;
  /** AUTH mechanisms, upper case. */
  auth: string[];
}

export interface Session {
  conn: Connection;
  caps: Capabilities;
  /** A transaction failed midway: send RSET before the next MAIL. */
  needsReset: boolean;
  /** Messages sent on this connection. */
  messages: number;
}

export function parseEhlo(r: SmtpReply): Capabilities {
  const caps: Capabilities = { pipelining: false, size: 0, sizeAdvertised: false, starttls: false, smtputf8: false, auth: [] };
  for (const line of r.lines.slice(1)) {
    const [kw = '', ...args] = line.trim().toUpperCase().split(/[\s=]+/);
    if (kw === 'PIPELINING') caps.pipelining = true;
    else if (kw === 'STARTTLS') caps.starttls = true;
    else if (kw === 'SMTPUTF8') caps.smtputf8 = true;
    else if (kw === 'SIZE') {
      caps.sizeAdvertised = true;
      caps.size = Number(args[0]) || 0;
    } else if (kw === 'AUTH') for (const m of args) if (m && !caps.auth.includes(m)) caps.auth.push(m);
  }
  return caps;
}

async function command(conn: Connection, line: string): Promise<SmtpReply> {
  conn.write(line + '\r\n');
  return conn.readOne();
}

async function hello(conn: Connection, name: string): Promise<Capabilities> {
  const r = await command(conn, `EHLO ${name}`);
  if (r.code === 250) return parseEhlo(r);
  if (r.code < 500) throw replyError('EPROTOCOL', 'EHLO', r);
  const h = await command(conn, `HELO ${name}`);
  if (h.code !== 250) throw replyError('EPROTOCOL', 'HELO', h);
  return parseEhlo(h);
}

function tlsSettings(opts: RelayOptions): TlsSettings {
  return { servername: opts.smarthost.host, ca: opts.ca, minVersion: 'TLSv1.2' };
}

async function authenticate(conn: Connection, caps: Capabilities, user: string, password: string): Promise<void> {
  // Only reached over TLS; the check stays here so no future caller can send it in the clear.
  if (!conn.secure) throw new UpstreamError('ETLS', 'refusing to send AUTH without TLS', { command: 'CONN' });
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  if (caps.auth.includes('LOGIN') && !caps.auth.includes('PLAIN')) {
    const cmd = 'AUTH LOGIN';
    let r = await command(conn, cmd);
    if (r.code === 334) r = await command(conn, b64(user));
    if (r.code === 334) r = await command(conn, b64(password));
    if (r.code !== 235) throw authError(cmd, r);
    return;
  }
  const r = await command(conn, `AUTH PLAIN ${b64(`\0${user}\0${password}`)}`);
  if (r.code !== 235) throw authError('AUTH PLAIN', r);
}

function authError(cmd: string, r: SmtpReply): UpstreamError {
  return new UpstreamError('EAUTH', `authentication failed: ${replyString(r)}`, { responseCode: r.code, command: cmd, response: replyString(r) });
}

/** Opens a ready-to-send session, or throws UpstreamError (the connection is then closed). */
export async function openSession(opts: RelayOptions): Promise<Session> {
  const implicit = opts.tls === 'implicit';
  const conn = await Connection.open({
    host: opts.smarthost.host,
    port: opts.smarthost.port,
    timeoutMs: opts.upstreamTimeoutMs,
    implicitTls: implicit ? tlsSettings(opts) : undefined,
  });
  try {
    const greeting = await conn.readOne();
    if (greeting.code !== 220) throw replyError('EPROTOCOL', 'CONN', greeting, 'greeting');
    let caps = await hello(conn, opts.hostname);
    if (opts.tls === 'starttls') {
      if (!caps.starttls) throw new UpstreamError('ETLS', 'the smarthost did not offer STARTTLS (--tls starttls requires it; stripped by a middlebox?)', { command: 'STARTTLS' });
      const r = await command(conn, 'STARTTLS');
      if (r.code !== 220) throw replyError('ETLS', 'STARTTLS', r);
      await conn.upgrade(tlsSettings(opts));
      caps = await hello(conn, opts.hostname);
    }
    // AUTH only where TLS protects it (never with --tls none), and, as nodemailer did, only when
    // the server offers it (one that does not would refuse MAIL with 530: a pause, not a loop).
    if (opts.user && opts.tls !== 'none' && caps.auth.length) await authenticate(conn, caps, opts.user, opts.password ?? '');
    return { conn, caps, needsReset: false, messages: 0 };
  } catch (e) {
    conn.destroy();
    throw e;
  }
}
