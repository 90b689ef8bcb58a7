// One upstream socket (TCP, implicit TLS, or upgraded by STARTTLS) with an SMTP reply reader.
// Lean on purpose: no transcript, no per-line events. The socket's inactivity timeout is the
// connect, greeting and per-reply timeout (writes and reads both count as activity); when it
// fires the connection fails with ETIMEDOUT and is destroyed. Any failure is sticky: every
// pending and later read or drain rejects with it.
import net from 'node:net';
import tls from 'node:tls';
import { ReplyFormatError, ReplyParser, type SmtpReply } from '../../probe/reply.js';
import { netError, type UpstreamError } from './errors.js';

export interface TlsSettings {
  servername: string;
  ca?: string;
  minVersion: tls.SecureVersion;
}

export interface ConnectSettings {
  host: string;
  port: number;
  timeoutMs: number;
  /** Implicit TLS (port 465 style) with these settings; plain TCP when absent. */
  implicitTls?: TlsSettings;
}

function tlsOptions(t: TlsSettings): tls.ConnectionOptions {
  return {
    servername: net.isIP(t.servername) ? undefined : t.servername,
    host: t.servername,
    // Verification is always on: our CA (if any) comes on top of the system roots.
    ca: t.ca ? [...tls.rootCertificates, t.ca] : undefined,
    rejectUnauthorized: true,
    minVersion: t.minVersion,
  };
}

export class Connection {
  private sock: net.Socket;
  private readonly parser = new ReplyParser();
  private readonly replies: SmtpReply[] = [];
  private want = 0;
  private waiter: { resolve(r: SmtpReply[]): void; reject(e: Error): void } | undefined;
  private drainWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  failure: UpstreamError | undefined;
  /**
   * Settle writeReusable() promises: on the write's completion, or all at once on failure. Every
   * caller of fail() closes the socket in the same tick (or it is already closed), so libuv
   * never reads a released buffer again.
   */
  private readonly releasers = new Set<() => void>();
  secure = false;
  private handshaking = false;
  /** Called once when the connection is gone (closed, failed or destroyed). */
  onGone?: () => void;

  private constructor(sock: net.Socket, private readonly timeoutMs: number) {
    this.sock = sock;
    this.attach(sock);
  }

  /** Connects (and for implicit TLS completes the handshake); the greeting is still unread. */
  static open(s: ConnectSettings): Promise<Connection> {
    const sock = s.implicitTls ? tls.connect({ port: s.port, ...tlsOptions(s.implicitTls), host: s.host }) : net.connect({ host: s.host, port: s.port });
    sock.setNoDelay(true);
    const c = new Connection(sock, s.timeoutMs);
    c.handshaking = !!s.implicitTls;
    return new Promise((resolve, reject) => {
      const ready = (): void => {
        c.drainWaiter = undefined;
        c.handshaking = false;
        c.secure = !!s.implicitTls;
        resolve(c);
      };
      // Reuse the drain waiter slot: a failure before connect rejects it.
      c.drainWaiter = { resolve: ready, reject };
      sock.once(s.implicitTls ? 'secureConnect' : 'connect', () => c.drainWaiter?.resolve());
    });
  }

  get alive(): boolean {
    return !this.failure && !this.sock.destroyed;
  }

  /**
   * Waits for up to `n` replies. Resolves with all n, or with fewer (at least one) when the
   * connection failed after those; rejects when it failed before any.
   */
  read(n = 1): Promise<SmtpReply[]> {
    if (this.replies.length >= n) return Promise.resolve(this.replies.splice(0, n));
    if (this.failure) return this.replies.length ? Promise.resolve(this.replies.splice(0)) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.want = n;
      this.waiter = { resolve, reject };
    });
  }

  async readOne(): Promise<SmtpReply> {
    return (await this.read(1))[0]!;
  }

  /** Writes without waiting; false means wait for drain() before writing much more. */
  write(data: string | Buffer): boolean {
    if (this.failure) return true; // the next read or drain reports it
    return this.sock.write(data);
  }

  /**
   * write() for a buffer the caller wants back: `done` settles once the socket no longer holds
   * it (written, or the connection failed; after a failure the caller must not write again).
   */
  writeReusable(data: Buffer): { ok: boolean; done: Promise<void> } {
    if (this.failure) return { ok: true, done: Promise.resolve() };
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.releasers.add(release);
    const ok = this.sock.write(data, () => {
      this.releasers.delete(release);
      release();
    });
    return { ok, done };
  }

  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.sock.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => (this.drainWaiter = { resolve, reject }));
  }

  /** TLS handshake on this connection after a 220 to STARTTLS, certificate verified. */
  upgrade(t: TlsSettings): Promise<void> {
    // Bytes received in plaintext after the 220 could be injected (CVE-2011-0411): drop them.
    this.parser.reset();
    this.replies.length = 0;
    const raw = this.sock;
    raw.removeAllListeners('data');
    raw.setTimeout(0);
    const sock = tls.connect({ socket: raw, ...tlsOptions(t) });
    this.handshaking = true;
    this.sock = sock;
    this.attach(sock);
    return new Promise((resolve, reject) => {
      this.drainWaiter = { resolve, reject };
      sock.once('secureConnect', () => {
        this.secure = true;
        this.handshaking = false;
        const w = this.drainWaiter;
        this.drainWaiter = undefined;
        w?.resolve();
      });
    });
  }

  /** Polite close: QUIT and end; the socket is destroyed shortly after in any case. */
  quit(): void {
    // Sends still in flight hold pooled buffers that fail() hands back: only a closed socket
    // can no longer read them, so a busy connection is closed, not ended politely.
    if (this.alive && this.releasers.size === 0) {
      this.sock.end('QUIT\r\n');
      setTimeout(() => this.sock.destroy(), 1000).unref();
    } else this.sock.destroy();
    this.fail(netError('ECONNECTION', 'connection closed by us'));
  }

  destroy(): void {
    this.fail(netError('ECONNECTION', 'connection closed by us'));
    this.sock.destroy();
  }

  private attach(sock: net.Socket): void {
    sock.setTimeout(this.timeoutMs);
    sock.on('data', (chunk: Buffer) => this.receive(chunk));
    sock.on('timeout', () => {
      if (sock !== this.sock) return;
      this.fail(netError('ETIMEDOUT', `no answer from the smarthost within ${this.timeoutMs} ms`));
      sock.destroy();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (sock !== this.sock) return;
      // An error during the handshake that is not a socket errno (ECONNRESET...) is a TLS failure
      // (untrusted certificate, wrong name, protocol version).
      const isTls = (this.handshaking && !/^E[A-Z]+$/.test(e.code ?? '')) || e.code?.startsWith('ERR_TLS') === true || e.code?.startsWith('ERR_SSL') === true;
      this.fail(netError(isTls ? 'ETLS' : 'ECONNECTION', `${isTls ? 'TLS' : 'connection'} error: ${e.code ?? ''} ${e.message}`.trim()));
    });
    sock.on('close', () => {
      if (sock === this.sock) this.fail(netError('ECONNECTION', 'the smarthost closed the connection'));
    });
    sock.on('drain', () => {
      const w = this.drainWaiter;
      this.drainWaiter = undefined;
      w?.resolve();
    });
  }

  private receive(chunk: Buffer): void {
    try {
      for (const r of this.parser.push(chunk.toString('latin1'))) this.replies.push(r);
    } catch (e) {
      const line = e instanceof ReplyFormatError ? e.line.slice(0, 80) : '';
      this.fail(netError('EPROTOCOL', `${(e as Error).message}: ${JSON.stringify(line)}`));
      this.sock.destroy();
      return;
    }
    const w = this.waiter;
    if (w && this.replies.length >= this.want) {
      this.waiter = undefined;
      w.resolve(this.replies.splice(0, this.want));
    }
  }

  private fail(err: UpstreamError): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (this.replies.length) w.resolve(this.replies.splice(0));
      else w.reject(err);
    }
    const d = this.drainWaiter;
    this.drainWaiter = undefined;
    d?.reject(err);
    for (const release of this.releasers) release();
    this.releasers.clear();
    this.onGone?.();
  }
}
