// A minimal line-oriented SMTP client for the exposure probe: connect (optionally implicit TLS),
// read multi-line replies, send one command, upgrade with STARTTLS. Every read is bounded in time
// and size. Certificates are NOT verified: the probe only asks whether the service answers and
// what it accepts, it never sends credentials or message data.
import net from 'node:net';
import tls from 'node:tls';

export interface SmtpReply {
  code: number;
  lines: string[];
  /** All reply lines joined with a space, without the codes. */
  text: string;
}

export interface DialogOptions {
  host: string;
  port: number;
  timeoutMs: number;
  implicitTls?: boolean;
  /** SNI name for TLS (skipped for IP literals). */
  servername?: string;
}

const MAX_LINE = 4096;
const MAX_REPLY_LINES = 200;

export class SmtpDialog {
  readonly transcript: string[] = [];
  private buffer = '';
  private lines: string[] = [];
  private waiter?: () => void;
  private closed?: Error;

  private constructor(private socket: net.Socket, private readonly opts: DialogOptions) {
    this.attach(socket);
  }

  /** Resolves once TCP (and TLS, for implicit TLS) is up; rejects with the socket error code. */
  static connect(opts: DialogOptions): Promise<SmtpDialog> {
    return new Promise((resolve, reject) => {
      const tlsOpts = { rejectUnauthorized: false, servername: net.isIP(opts.host) ? undefined : opts.servername ?? opts.host };
      const socket = opts.implicitTls
        ? tls.connect({ host: opts.host, port: opts.port, ...tlsOpts })
        : net.connect({ host: opts.host, port: opts.port });
      // tcpConnected tells a TLS failure on an open port from a refused or filtered port.
      let tcpConnected = false;
      socket.once('connect', () => { tcpConnected = true; });
      const timer = setTimeout(() => { socket.destroy(); reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT', tcpConnected })); }, opts.timeoutMs);
      socket.once('error', (e) => { clearTimeout(timer); socket.destroy(); reject(Object.assign(e, { tcpConnected })); });
      socket.once(opts.implicitTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SmtpDialog(socket, opts));
      });
    });
  }

  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.finish(e));
    socket.on('close', () => this.finish(new Error('connection closed by server')));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let idx: number;
    while ((idx = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, idx).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(idx + 1);
    }
    if (this.buffer.length > MAX_LINE) this.finish(new Error('reply line too long'));
    this.waiter?.();
  }

  private finish(err: Error): void {
    this.closed ??= err;
    this.waiter?.();
  }

  private nextLine(deadline: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.lines.shift();
        if (line !== undefined) { resolve(line); return true; }
        if (this.closed) { reject(this.closed); return true; }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => { this.waiter = undefined; reject(Object.assign(new Error('timed out waiting for a reply'), { code: 'ETIMEDOUT' })); }, Math.max(0, deadline - Date.now()));
      this.waiter = () => { if (check()) { clearTimeout(timer); this.waiter = undefined; } };
    });
  }

  /** Reads one (possibly multi-line) reply. */
  async readReply(): Promise<SmtpReply> {
    const deadline = Date.now() + this.opts.timeoutMs;
    const lines: string[] = [];
    for (;;) {
      const line = await this.nextLine(deadline);
      this.transcript.push(`<- ${line}`);
      lines.push(line);
      const m = /^(\d{3})([ -]?)/.exec(line);
      if (!m) throw new Error(`not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`);
      if (m[2] !== '-') return { code: Number(m[1]), lines, text: lines.map((l) => l.slice(4)).join(' ').trim() };
      if (lines.length >= MAX_REPLY_LINES) throw new Error('reply has too many lines');
    }
  }

  async command(line: string): Promise<SmtpReply> {
    this.transcript.push(`-> ${line}`);
    this.socket.write(`${line}\r\n`);
    return this.readReply();
  }

  /** STARTTLS upgrade without certificate verification; the caller sends EHLO again. */
  async startTls(): Promise<SmtpReply> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    this.socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const servername = net.isIP(this.opts.host) ? undefined : this.opts.servername ?? this.opts.host;
      const s = tls.connect({ socket: plain, rejectUnauthorized: false, servername });
      const timer = setTimeout(() => { s.destroy(); reject(new Error('TLS handshake timed out')); }, this.opts.timeoutMs);
      s.once('secureConnect', () => { clearTimeout(timer); resolve(s); });
      s.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
    this.attach(this.socket);
    return reply;
  }

  /** Ends the conversation at once; pending and later reads fail with this reason. */
  abort(reason: string): void {
    this.finish(new Error(reason));
    this.socket.destroy();
  }

  /** QUIT politely (bounded), then destroy the socket. */
  async close(): Promise<void> {
    if (!this.closed) {
      try {
        this.socket.write('QUIT\r\n');
        this.transcript.push('-> QUIT');
        await Promise.race([this.readReply(), new Promise((r) => setTimeout(r, Math.min(1000, this.opts.timeoutMs)))]);
      } catch {
        // the server may hang up first; that is fine
      }
    }
    this.socket.destroy();
  }
}
