// The relay's query channel: a unix socket in the spool (spool/control.sock, mode 0600 inside the
// 0700 spool) answering one JSON request per connection with one JSON reply. Commands that change
// the queue (flush, hold, delete) keep using the relay's request files in spool/control/; this
// socket only answers questions (status, clients) that need a live answer.
import { chmod, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

const WINDOWS = process.platform === 'win32';

export const MAX_SOCKET_PATH = 100;
const MAX_REQUEST = 64 * 1024;

export type ControlHandler = (req: Record<string, unknown>) => Promise<unknown>;

/** spool/control.sock; on Windows a named pipe derived from the spool path (no unix sockets there). */
export function controlSocketPath(spoolRoot: string): string {
  if (WINDOWS) return `\\\\.\\pipe\\omr-relay-${createHash('sha256').update(resolve(spoolRoot).toLowerCase()).digest('hex').slice(0, 16)}`;
  return join(spoolRoot, 'control.sock');
}

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** Listens on spool/control.sock; undefined when the path is too long for a unix socket. */
export async function startControlServer(spoolRoot: string, handlers: Record<string, ControlHandler>): Promise<ControlServer | undefined> {
  const path = controlSocketPath(spoolRoot);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return undefined;
  // A socket file left by a crashed relay; the relay's pid file already guarantees one relay per spool.
  if (!WINDOWS) await unlink(path).catch(() => undefined);
  const server = createServer({ allowHalfOpen: false }, (sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.setTimeout(5000, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_REQUEST) return void sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      void answer(buf.slice(0, nl), handlers).then((reply) => sock.end(JSON.stringify(reply) + '\n'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (!WINDOWS) await chmod(path, 0o600);
  return { path, close: () => closeServer(server, path) };
}

async function answer(line: string, handlers: Record<string, ControlHandler>): Promise<unknown> {
  let req: Record<string, unknown>;
  try {
    req = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  const h = typeof req.op === 'string' ? handlers[req.op] : undefined;
  if (!h) return { ok: false, error: `unknown op ${String(req.op)}` };
  try {
    return { ok: true, result: await h(req) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function closeServer(server: Server, path: string): Promise<void> {
  return new Promise((done) => server.close(() => void (WINDOWS ? Promise.resolve() : unlink(path).catch(() => undefined)).then(() => done())));
}

/**
 * Asks the running relay; undefined when nobody listens (relay down, or a stale socket).
 * Throws when the relay answers with an error.
 */
export function controlRequest<T>(spoolRoot: string, req: Record<string, unknown>, timeoutMs = 3000): Promise<T | undefined> {
  const path = controlSocketPath(spoolRoot);
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const done = (v: T | undefined, err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (d: string) => (buf += d));
    sock.on('error', () => done(undefined));
    sock.on('end', () => {
      try {
        const r = JSON.parse(buf) as { ok: boolean; result?: T; error?: string };
        if (r.ok) done(r.result);
        else done(undefined, new Error(`relay: ${r.error ?? 'error'}`));
      } catch {
        done(undefined);
      }
    });
  });
}
