// Process and socket helpers for the benchmark: free loopback ports, waiting for an SMTP banner,
// finding tools, and stopping children with a bounded wait. Everything stays on 127.0.0.1.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

export const HOST = '127.0.0.1';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port that was free a moment ago (bind 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something on HOST:port answers with a 220 greeting (then says QUIT). */
export async function waitForBanner(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: HOST, port });
      let buf = '';
      let settled = false;
      const done = (v: boolean): void => {
        if (settled) return;
        settled = true;
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(2000, () => done(false));
      sock.on('error', (e) => {
        last = e.message;
        done(false);
      });
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        if (settled) return;
        if (/^220[ -]/m.test(buf)) {
          settled = true;
          sock.end('QUIT\r\n');
          setTimeout(() => {
            sock.destroy();
            resolve(true);
          }, 20);
        } else if (/^\d{3} /m.test(buf)) {
          last = buf.trim();
          done(false);
        }
      });
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`no SMTP greeting on ${HOST}:${port} within ${timeoutMs} ms (${last || 'no answer'})`);
}

const PATHS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Absolute path of a tool, or undefined (postfix tools live in /usr/sbin, often not on PATH). */
export function findTool(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATHS]) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function requireTool(name: string, pkg: string): string {
  const p = findTool(name);
  if (!p) throw new Error(`${name} not found: install the Debian package "${pkg}"`);
  return p;
}

/** Sends SIGTERM, then SIGKILL after graceMs; resolves when the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** True while a pid exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
