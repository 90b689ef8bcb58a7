// Test peers for the relay: a scriptable upstream smarthost (smtp-server with STARTTLS from a
// throwaway CA, AUTH, fault hooks and connection counting), relay options pointing at it, and
// small wait/send helpers. Everything binds to 127.0.0.1 port 0.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import selfsigned from 'selfsigned';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { startRelay, type RunningRelay } from '../../src/relay/relay.js';
import { defaultRelayOptions, type RelayHooks, type RelayOptions } from '../../src/relay/types.js';

export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  secure: boolean;
  user?: string;
}

export interface SinkHooks {
  /** Return an SMTP error to refuse the n-th connection (1-based) at the greeting. */
  connect?(n: number): SmtpErr | undefined;
  rcpt?(address: string): SmtpErr | undefined;
  data?(n: number): SmtpErr | undefined;
  /** Delay before answering DATA (ms): keeps deliveries in flight. */
  dataDelayMs?: number;
}

export type SmtpErr = { code: number; text: string };

export interface Sink {
  port: number;
  ca: string;
  messages: SinkMessage[];
  connections: number;
  peak: number;
  totalConnections: number;
  authFailures: number;
  /** AUTH commands that reached onAuth (also over plaintext when insecureAuth). */
  authAttempts: number;
  hooks: SinkHooks;
  close(): Promise<void>;
}

let tlsCache: Promise<{ key: string; cert: string; ca: string }> | undefined;

/** A CA and a server certificate for "localhost"/127.0.0.1 signed by it (made once per process). */
export function testTls(): Promise<{ key: string; cert: string; ca: string }> {
  tlsCache ??= (async () => {
    const notAfterDate = new Date(Date.now() + 86_400_000);
    const ca = await selfsigned.generate([{ name: 'commonName', value: 'omr test CA' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate,
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
    });
    const leaf = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate, ca: { key: ca.private, cert: ca.cert },
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }, { name: 'extKeyUsage', serverAuth: true }],
    });
    return { key: leaf.private, cert: leaf.cert, ca: ca.cert };
  })();
  return tlsCache;
}

const err = (e: SmtpErr): Error => Object.assign(new Error(e.text), { responseCode: e.code });

export async function startSink(opts: { user?: string; password?: string; tls?: boolean; insecureAuth?: boolean; pipelining?: boolean; hooks?: SinkHooks } = {}): Promise<Sink> {
  const tls = await testTls();
  const state = { messages: [] as SinkMessage[], connections: 0, peak: 0, totalConnections: 0, authFailures: 0, authAttempts: 0, dataCount: 0 };
  const hooks: SinkHooks = opts.hooks ?? {};
  const users = new WeakMap<SMTPServerSession, string>();
  const server = new SMTPServer({
    key: tls.key,
    cert: tls.cert,
    // tls:false = no STARTTLS at all (hideSTARTTLS alone would still accept the command).
    disabledCommands: [...(opts.user || opts.insecureAuth ? [] : ['AUTH']), ...(opts.tls === false ? ['STARTTLS'] : [])],
    authOptional: !opts.user,
    allowInsecureAuth: opts.insecureAuth ?? false,
    hidePIPELINING: opts.pipelining === false,
    logger: false,
    onConnect(session, cb) {
      state.totalConnections++;
      state.connections++;
      state.peak = Math.max(state.peak, state.connections);
      const e = hooks.connect?.(state.totalConnections);
      cb(e ? err(e) : undefined);
    },
    onClose() {
      state.connections--;
    },
    onAuth(auth, session, cb) {
      state.authAttempts++;
      if (auth.username === opts.user && auth.password === opts.password) {
        users.set(session, auth.username!);
        return cb(null, { user: auth.username });
      }
      state.authFailures++;
      cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _s, cb) {
      const e = hooks.rcpt?.(address.address);
      cb(e ? err(e) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if (hooks.dataDelayMs) await new Promise((r) => setTimeout(r, hooks.dataDelayMs));
        const e = hooks.data?.(++state.dataCount);
        if (e) return cb(err(e));
        state.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          user: users.get(session),
        });
        cb(null, '2.0.0 stored');
      });
    },
  });
  // smtp-server counts a connection closed during the greeting as closed too; keep counts sane.
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return Object.assign(state, {
    port,
    ca: tls.ca,
    hooks,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as unknown as Sink;
}

export async function tempSpool(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'omr-relay-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function relayOptions(spool: string, sink: { port: number; ca: string }, over: Partial<RelayOptions> = {}): RelayOptions {
  return {
    ...defaultRelayOptions(),
    listen: [{ host: '127.0.0.1', port: 0 }],
    smarthost: { host: 'localhost', port: sink.port },
    tls: 'starttls',
    ca: sink.ca,
    user: 'office',
    password: 'S3cret-pw!',
    spool,
    hostname: 'relay.test',
    retryBaseMs: 200,
    retryMaxMs: 1000,
    upstreamTimeoutMs: 5000,
    authPauseMs: 60_000,
    ...over,
  };
}

export async function withRelay<T>(opts: RelayOptions, fn: (r: RunningRelay) => Promise<T>, logger: Logger = silentLogger, hooks?: RelayHooks): Promise<T> {
  const relay = await startRelay(opts, logger, hooks);
  try {
    return await fn(relay);
  } finally {
    await relay.stop();
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends one raw message to the relay with nodemailer (plain SMTP, as a LAN client would). */
export async function sendRaw(port: number, from: string, to: string[], raw: string | Buffer): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, logger: false } as never);
  try {
    const info = (await t.sendMail({ envelope: { from, to }, raw } as never)) as { response: string };
    return info.response;
  } finally {
    t.close();
  }
}

export function sampleMessage(i: number, extra = ''): string {
  return [
    `From: Office PC <pc${i}@office.example>`,
    'To: Someone <someone@example.net>',
    `Subject: test message ${i}`,
    `Message-ID: <m${i}.${Date.now()}@office.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello ${i}.`,
    '.leading dot line',
    extra,
    'Bye.',
    '',
  ].join('\r\n');
}

/** Strips exactly our Received header (the first header field) from a delivered body. */
export function stripReceived(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  if (!text.startsWith('Received: ')) return raw;
  const m = /\r\n(?![ \t])/g;
  m.exec(text);
  return Buffer.from(text.slice(m.lastIndex), 'latin1');
}

/** A raw SMTP client for byte-exact tests (smuggling): write bytes, read whole replies. */
export async function rawClient(port: number): Promise<{ reply(timeoutMs?: number): Promise<string>; write(b: string | Buffer): void; close(): void; closed: Promise<void> }> {
  const { connect } = await import('node:net');
  const sock = connect(port, '127.0.0.1');
  let buf = '';
  const waiters: Array<() => void> = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<void>((r) => sock.on('close', () => {
    waiters.splice(0).forEach((w) => w());
    r();
  }));
  sock.on('error', () => undefined);
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  const takeReply = (): string | undefined => {
    const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(buf);
    if (!m) return undefined;
    buf = buf.slice(m[0].length);
    return m[0].trimEnd();
  };
  return {
    async reply(timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const r = takeReply();
        if (r !== undefined) return r;
        if (sock.destroyed || Date.now() > end) return sock.destroyed ? '<closed>' : '<timeout>';
        await new Promise<void>((res) => {
          waiters.push(res);
          setTimeout(res, 50);
        });
      }
    },
    write: (b) => void sock.write(b),
    close: () => sock.destroy(),
    closed,
  };
}
