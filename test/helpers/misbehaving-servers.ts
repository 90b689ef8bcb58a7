// Purpose-built SMTP peers for the tester's integration tests, all on 127.0.0.1 port 0:
// a good server (smtp-server with STARTTLS/AUTH and a CA-signed certificate), a port that
// accepts TCP and never greets, a server that answers 421 at greeting, a proxy that strips
// STARTTLS from EHLO, and a closed port.
import net from 'node:net';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface TestCa {
  caPem: string;
  key: string;
  cert: string;
}

let cached: Promise<TestCa> | undefined;

/** A CA and a server certificate for 127.0.0.1/localhost signed by it (generated once per process). */
export function testCa(opts: { days?: number } = {}): Promise<TestCa> {
  if (opts.days === undefined && cached) return cached;
  const p = (async () => {
    const ca = await generate([{ name: 'commonName', value: 'omr-cli test CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const notAfter = new Date(Date.now() + (opts.days ?? 365) * 86_400_000);
    const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 60_000),
      notAfterDate: notAfter,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    return { caPem: ca.cert, key: leaf.private, cert: leaf.cert };
  })();
  if (opts.days === undefined) cached = p;
  return p;
}

export interface Running {
  port: number;
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Closes a server and destroys its open sockets so tests never hang on cleanup. */
function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  return sockets;
}

export interface GoodServerOptions {
  user?: string;
  password?: string;
  /** Implicit TLS (port-465 style) instead of STARTTLS. */
  secure?: boolean;
  /** Advertise AUTH without STARTTLS and allow it in plaintext. */
  plaintextAuthOnly?: boolean;
  days?: number;
  /** Listen port (default 0: any free one). */
  port?: number;
  extra?: Partial<SMTPServerOptions>;
}

/** A well-behaved submission server: STARTTLS (or implicit TLS), AUTH PLAIN/LOGIN only after TLS. */
export async function startGoodServer(opts: GoodServerOptions = {}): Promise<Running & { received: Buffer[]; caPem: string }> {
  const ca = await testCa({ days: opts.days });
  const received: Buffer[] = [];
  const server = new SMTPServer({
    secure: opts.secure ?? false,
    key: ca.key,
    cert: ca.cert,
    name: 'good.test',
    authMethods: ['PLAIN', 'LOGIN'],
    hideSTARTTLS: opts.plaintextAuthOnly ?? false,
    disabledCommands: opts.plaintextAuthOnly ? ['STARTTLS'] : [],
    allowInsecureAuth: opts.plaintextAuthOnly ?? false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === (opts.user ?? 'office') && auth.password === (opts.password ?? 'sekret-pw')) return cb(null, { user: auth.username });
      const err = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
      return cb(err);
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks));
        cb(null, 'Ok: queued as TESTQ1');
      });
    },
    ...opts.extra,
  });
  const raw = server.server;
  const sockets = track(raw);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (raw.address() as net.AddressInfo).port;
  return {
    port,
    received,
    caPem: ca.caPem,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP and never says a word (a stalled proxy or a tarpit). */
export async function startSilentServer(): Promise<Running> {
  const server = net.createServer(() => {});
  const sockets = track(server);
  return { port: await listen(server), close: closer(server, sockets) };
}

/** Greets with the given reply (default 421 too many connections) and closes. */
export async function startGreeting421Server(text = '421 4.7.0 Too many connections from your account, try again later'): Promise<Running> {
  const server = net.createServer((s) => {
    s.end(text + '\r\n');
  });
  const sockets = track(server);
  return { port: await listen(server), close: closer(server, sockets) };
}

/** Answers with a plaintext greeting and EHLO but no STARTTLS, forwarding nothing: like an antivirus proxy. */
export async function startStrippingProxy(upstreamPort: number): Promise<Running> {
  const server = net.createServer((client) => {
    const up = net.connect(upstreamPort, '127.0.0.1');
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    // Rewrite server->client lines: drop the STARTTLS capability as some AV proxies and
    // firewall "SMTP fixups" do (Cisco writes XXXXXXXA instead).
    let buf = '';
    up.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      let nl: number;
      let out = '';
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
        out += /^250[ -]STARTTLS/i.test(line) ? line.replace(/STARTTLS/i, 'XXXXXXXA') : line;
      }
      if (out) client.write(out, 'latin1');
    });
    client.on('data', (chunk: Buffer) => {
      // A STARTTLS the client sends anyway is refused like the fixup does.
      if (/^STARTTLS\r?\n$/i.test(chunk.toString('latin1'))) client.write('502 5.5.1 Command not implemented\r\n');
      else up.write(chunk);
    });
  });
  const sockets = track(server);
  return { port: await listen(server), close: closer(server, sockets) };
}

/** A port number nobody listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Delays the greeting by `ms` then behaves like a minimal server that accepts EHLO and QUIT. */
export async function startSlowGreetingServer(ms: number): Promise<Running> {
  const server = net.createServer((s) => {
    const t = setTimeout(() => s.write('220 slow.test ESMTP\r\n'), ms);
    s.on('close', () => clearTimeout(t));
    s.on('data', (d: Buffer) => {
      const cmd = d.toString().trim().toUpperCase();
      if (cmd.startsWith('EHLO')) s.write('250-slow.test\r\n250 PIPELINING\r\n');
      else if (cmd === 'QUIT') s.end('221 bye\r\n');
      else s.write('502 no\r\n');
    });
  });
  const sockets = track(server);
  return { port: await listen(server), close: closer(server, sockets) };
}
