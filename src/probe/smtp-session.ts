// A small SMTP client session over node:net / node:tls for probes (omr test, check-exposure).
// Unlike nodemailer it exposes every step: the caller decides what to send, each wait has its own
// timeout, and every line in or out is reported as a transcript event (secrets redacted).
//
//   const s = await SmtpSession.connect({ host, port, timeoutMs: 15000 });
//   const greeting = await s.readReply(15000);          // 220 (multi-line aware)
//   const ehlo = await s.command('EHLO me.example', { timeoutMs: 15000 });
//   const tlsSocket = await s.startTls({ servername: host, timeoutMs: 15000 });
//   await s.upgradeTls({ timeoutMs: 15000, verify: false }); // implicit TLS (465), reachability only
//   s.addSecret(password);                               // redacted in transcript events
//   await s.command('AUTH PLAIN ' + b64, { display: 'AUTH PLAIN [redacted]' });
//   await s.quit(2000);                                  // or s.close()
//   setTimeout(() => s.abort('took too long'), 60000);   // an overall deadline (pending reads fail)
//   s.on('transcript', (e) => console.error(e.dir === 'send' ? '-> ' : '<- ', e.line));
//
// Errors are SmtpSessionError with a machine code (ECONNECTION, ETIMEDOUT, ECLOSED, EPROTOCOL,
// ETLS, EABORTED). After a timeout the session is still open but out of step with the server
// (a late reply would be read as the answer to the next command): close it.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { redactSecret } from '../core/secrets.js';
import { SmtpSessionError, classifyConnectErrno } from './errors.js';
import { ReplyFormatError, ReplyParser, type SmtpReply } from './reply.js';

export type TranscriptDirection = 'send' | 'recv' | 'info';

export interface TranscriptEvent {
  dir: TranscriptDirection;
  /** One line, without CRLF, secrets already redacted. */
  line: string;
  /** Milliseconds since the session started connecting. */
  atMs: number;
  /** Whether the line travelled inside TLS. */
  tls: boolean;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** TCP connect timeout in ms. */
  timeoutMs: number;
  /** Connect to this address instead of resolving `host` (host stays the TLS/SNI name). */
  address?: string;
  signal?: AbortSignal;
  /** Secrets to redact from transcript events from the start. */
  secrets?: string[];
}

export interface TlsUpgradeOptions {
  timeoutMs: number;
  /** Name to verify the certificate against (default: the connect host). Sent as SNI unless it is an IP. */
  servername?: string;
  /** Extra trusted CA certificates (PEM), added to Node's default store. */
  ca?: string | string[];
  /** Fail the upgrade when the certificate does not verify (default true). */
  verify?: boolean;
  minVersion?: tls.SecureVersion;
}

export interface CommandOptions {
  timeoutMs?: number;
  /** What the transcript shows instead of the line (e.g. "AUTH PLAIN [redacted]"). */
  display?: string;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

export class SmtpSession extends EventEmitter {
  readonly host: string;
  readonly port: number;
  private sock: net.Socket;
  private readonly parser = new ReplyParser();
  private readonly replies: SmtpReply[] = [];
  private waiter: { resolve(r: SmtpReply): void; reject(e: Error): void } | undefined;
  private failure: SmtpSessionError | undefined;
  private readonly secrets: string[] = [];
  private readonly started = performance.now();
  private tlsSocket: tls.TLSSocket | undefined;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);

  private constructor(sock: net.Socket, opts: ConnectOptions) {
    super();
    this.sock = sock;
    this.host = opts.host;
    this.port = opts.port;
    for (const s of opts.secrets ?? []) this.addSecret(s);
    this.attach(sock);
  }

  /** Opens the TCP connection. Rejects with SmtpSessionError whose connectClass says why. */
  static connect(opts: ConnectOptions): Promise<SmtpSession> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: opts.address ?? opts.host, port: opts.port });
      const fail = (err: SmtpSessionError): void => {
        cleanup();
        sock.destroy();
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new SmtpSessionError('ETIMEDOUT', `no answer to the TCP connect within ${opts.timeoutMs} ms`, { connectClass: 'filtered' }));
      }, opts.timeoutMs);
      const onError = (e: NodeJS.ErrnoException): void => {
        fail(new SmtpSessionError('ECONNECTION', `TCP connect failed: ${e.code ?? e.message}`, { errno: e.code, connectClass: classifyConnectErrno(e.code), cause: e }));
      };
      const onAbort = (): void => fail(new SmtpSessionError('EABORTED', 'aborted'));
      const cleanup = (): void => {
        clearTimeout(timer);
        sock.off('error', onError);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      sock.once('error', onError);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) return onAbort();
      sock.once('connect', () => {
        cleanup();
        sock.setNoDelay(true);
        const session = new SmtpSession(sock, opts);
        opts.signal?.addEventListener('abort', () => session.abort(), { once: true });
        resolve(session);
      });
    });
  }

  /** Redact this string (and its base64 form) from every transcript line from now on. */
  addSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret);
  }

  get secure(): boolean {
    return this.tlsSocket !== undefined;
  }

  /** The TLS socket after startTls/upgradeTls (for certificate facts). */
  get tls(): tls.TLSSocket | undefined {
    return this.tlsSocket;
  }

  get localAddress(): string | undefined {
    return this.sock.localAddress;
  }

  get remoteAddress(): string | undefined {
    return this.sock.remoteAddress;
  }

  /** Waits for the next complete (multi-line) reply. */
  readReply(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('readReply called while another read is pending'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new SmtpSessionError('ETIMEDOUT', `no complete reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  /** Sends one command line (CRLF added) without waiting. */
  send(line: string, display?: string): void {
    if (this.failure) throw this.failure;
    this.transcript('send', display ?? line);
    this.sock.write(line + '\r\n');
  }

  /** Sends a command and waits for its reply. */
  command(line: string, opts: CommandOptions = {}): Promise<SmtpReply> {
    try {
      this.send(line, opts.display);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.readReply(opts.timeoutMs);
  }

  /** Sends STARTTLS; on 220 upgrades the socket. Resolves with the reply and, on 220, the TLS socket. */
  async startTls(opts: TlsUpgradeOptions): Promise<{ reply: SmtpReply; socket?: tls.TLSSocket }> {
    const reply = await this.command('STARTTLS', { timeoutMs: opts.timeoutMs });
    if (reply.code !== 220) return { reply };
    return { reply, socket: await this.upgradeTls(opts) };
  }

  /**
   * TLS handshake on the current connection: implicit TLS (port 465) right after connect, or
   * after a 220 to STARTTLS. Bytes received in plaintext but not yet read are discarded (they
   * could be injected by a man in the middle, CVE-2011-0411 style) and reported as an info line.
   * The certificate is always fetched; with verify (default) an untrusted one rejects with ETLS.
   */
  upgradeTls(opts: TlsUpgradeOptions): Promise<tls.TLSSocket> {
    const dropped = this.parser.reset() + this.replies.splice(0).map((r) => r.raw.join('\n')).join('\n');
    if (dropped) this.transcript('info', `discarded ${dropped.length} bytes received before the TLS handshake`);
    const name = opts.servername ?? this.host;
    const raw = this.sock;
    raw.off('data', this.onData);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        socket: raw,
        host: name,
        servername: net.isIP(name) ? undefined : name,
        ca: opts.ca === undefined ? undefined : [...tls.rootCertificates, ...[opts.ca].flat()],
        rejectUnauthorized: false, // we judge authorization ourselves so the facts survive a failure
        minVersion: opts.minVersion,
      });
      const timer = setTimeout(() => finish(new SmtpSessionError('ETIMEDOUT', `TLS handshake not finished within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      const onError = (e: Error): void => finish(new SmtpSessionError('ETLS', `TLS handshake failed: ${e.message}`, { cause: e }));
      const finish = (err?: SmtpSessionError): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (err) {
          socket.destroy();
          this.fail(err);
          return reject(err);
        }
        this.tlsSocket = socket;
        this.sock = socket;
        this.attach(socket);
        this.transcript('info', `TLS started: ${socket.getProtocol() ?? '?'} ${socket.getCipher()?.name ?? ''}`.trim());
        if (opts.verify !== false && !socket.authorized) {
          const e = new SmtpSessionError('ETLS', `certificate not trusted: ${String(socket.authorizationError)}`);
          // Keep the socket for facts; the caller must close. Nothing further may be sent.
          this.failure = e;
          return reject(Object.assign(e, { socket }));
        }
        resolve(socket);
      };
      socket.once('secureConnect', () => finish());
      socket.once('error', onError);
    });
  }

  /** Polite end: QUIT, wait briefly for 221, then close. Never throws. */
  async quit(timeoutMs = 2000): Promise<SmtpReply | undefined> {
    let reply: SmtpReply | undefined;
    if (!this.failure && !this.sock.destroyed) {
      reply = await this.command('QUIT', { timeoutMs }).catch(() => undefined);
    }
    this.close();
    return reply;
  }

  /** Closes the connection at once. Idempotent. */
  close(): void {
    if (!this.failure) this.failure = new SmtpSessionError('ECLOSED', 'session closed');
    this.sock.destroy();
  }

  /**
   * Ends the session at once (the caller's AbortSignal does this too): pending and later reads
   * fail with EABORTED and this reason, e.g. when an overall deadline for the dialogue passes.
   */
  abort(reason = 'aborted'): void {
    this.fail(new SmtpSessionError('EABORTED', reason));
    this.sock.destroy();
  }

  private attach(sock: net.Socket): void {
    sock.on('data', this.onData);
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (sock === this.sock) this.fail(new SmtpSessionError('ECONNECTION', `connection error: ${e.code ?? e.message}`, { errno: e.code, cause: e }));
    });
    sock.on('close', () => {
      if (sock === this.sock) this.fail(new SmtpSessionError('ECLOSED', 'the server closed the connection'));
    });
  }

  private receive(chunk: Buffer): void {
    let replies: SmtpReply[];
    try {
      replies = this.parser.push(chunk.toString('latin1'));
    } catch (e) {
      const line = e instanceof ReplyFormatError ? e.line : '';
      this.transcript('recv', line);
      this.fail(new SmtpSessionError('EPROTOCOL', `${(e as Error).message}: ${JSON.stringify(line.slice(0, 80))}`));
      this.sock.destroy();
      return;
    }
    for (const r of replies) {
      for (const l of r.raw) this.transcript('recv', l);
      const w = this.waiter;
      if (w) {
        this.waiter = undefined;
        w.resolve(r);
      } else this.replies.push(r);
    }
  }

  private fail(err: SmtpSessionError): void {
    if (!this.failure) this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  private transcript(dir: TranscriptDirection, line: string): void {
    if (this.listenerCount('transcript') === 0) return;
    const event: TranscriptEvent = {
      dir,
      line: redactSecret(line, ...this.secrets),
      atMs: Math.round(performance.now() - this.started),
      tls: this.secure,
    };
    this.emit('transcript', event);
  }
}

export { SmtpSessionError } from './errors.js';
export type { SmtpReply } from './reply.js';
