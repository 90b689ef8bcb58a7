// Real-MTA harness: Debian MTAs conflict as packages, so each test unpacks the .deb files it
// needs (apt-get download + dpkg -x, cached) and runs the MTA inside a private mount + PID
// namespace (unshare) whose /etc, /usr and /var are overlays over the host's: the generated
// files land at their real system paths there, and nothing on this machine changes. When the
// namespace's first process exits, every daemon in it dies with it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const DEB_CACHE = process.env.OMR_MTA_CACHE ?? '/var/cache/omr-mta-debs';
export const REPO = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Skips (or fails under CI=true) when something the test needs is missing. */
export function requireOrSkip(t: TestContext, what: string, ok: boolean): boolean {
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is missing (needed by this real test)`);
  t.skip(`${what} is missing`);
  return false;
}

export function namespaceTools(): string | undefined {
  for (const c of ['unshare', 'dpkg-deb', 'apt-get', 'mount']) if (!have(c)) return c;
  if (process.getuid?.() !== 0) return 'root (for unshare -m and overlay mounts)';
  return undefined;
}

function debFor(pkg: string): string | undefined {
  if (!existsSync(DEB_CACHE)) return undefined;
  return readdirSync(DEB_CACHE).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
}

/** Unpacked roots of the packages (downloaded into the cache once). Throws naming what failed. */
export function unpackedRoots(pkgs: string[]): string[] {
  mkdirSync(join(DEB_CACHE, 'x'), { recursive: true });
  return pkgs.map((pkg) => {
    let deb = debFor(pkg);
    if (!deb) {
      const r = spawnSync('apt-get', ['download', pkg], { cwd: DEB_CACHE, encoding: 'utf8', timeout: 300_000 });
      deb = debFor(pkg);
      if (!deb) throw new Error(`apt-get download ${pkg} failed: ${r.stderr}`);
    }
    const root = join(DEB_CACHE, 'x', deb.replace(/\.deb$/, ''));
    if (!existsSync(root)) {
      const tmp = `${root}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      const r = spawnSync('dpkg-deb', ['-x', join(DEB_CACHE, deb), tmp], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`dpkg-deb -x ${deb} failed: ${r.stderr}`);
      renameSync(tmp, root);
    }
    return root;
  });
}

/**
 * Bash that builds the private filesystem: overlays over /etc and /var (writable, upper layer in
 * DIR) and /usr (package trees on top of the host's), a fresh /run and /tmp, and /etc/hosts
 * entries so the smarthost name resolves to the simulator's loopback address.
 */
export function prelude(dir: string, roots: string[], hosts: Record<string, string>): string {
  // The cache may live under /var, and overlayfs refuses a lower layer inside the directory it
  // is stacked on: the packages' small var/ trees are copied out first.
  const withSub = (sub: string) => roots.map((r, i) => [r, i] as const).filter(([r]) => existsSync(join(r, sub)));
  const lower = (sub: string) =>
    [...withSub(sub).map(([r, i]) => (sub === 'var' ? join(dir, `pkgvar${i}`) : join(r, sub))), `/${sub}`].join(':');
  const lines = [
    'set -euo pipefail',
    `D=${dir}`,
    'exec 9>>$D/trace.log; BASH_XTRACEFD=9; set -x',
    'mkdir -p $D/etc.up $D/etc.wk $D/var.up $D/var.wk $D/run',
    ...withSub('var').map(([r, i]) => `cp -a ${join(r, 'var')} $D/pkgvar${i}`),
    `mount -t overlay overlay -o lowerdir=${lower('etc')},upperdir=$D/etc.up,workdir=$D/etc.wk /etc`,
    `mount -t overlay overlay -o lowerdir=${lower('var')},upperdir=$D/var.up,workdir=$D/var.wk /var`,
    // A read-only overlay needs two layers: only when a package brings a usr/ tree.
    ...(withSub('usr').length ? [`mount -t overlay overlay -o lowerdir=${lower('usr')} /usr`] : []),
    'mount -t tmpfs tmpfs /run',
    'ensure_group() { getent group "$1" >/dev/null || groupadd -r "$1"; }',
    'ensure_user() { getent passwd "$1" >/dev/null || useradd -r -g "$2" -d "$3" -s /usr/sbin/nologin "$1"; }',
    // No DNS query may leave the machine: the only resolver is loopback (nothing answers).
    "rm -f /etc/resolv.conf; echo 'nameserver 127.0.0.1' > /etc/resolv.conf",
    ...Object.entries(hosts).map(([name, ip]) => `echo '${ip} ${name}' >> /etc/hosts`),
    'chmod 755 $D',
  ];
  return lines.join('\n') + '\n';
}

/** The end of the namespace script's xtrace, for failure messages. */
export function traceTail(dir: string, chars = 2500): string {
  try {
    return readFileSync(join(dir, 'trace.log'), 'utf8').slice(-chars);
  } catch {
    return '(no trace)';
  }
}

export interface NsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` in a new mount+PID namespace; kills the whole namespace after timeoutMs. */
export function runInNamespace(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<NsResult> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-m', '-p', '--fork', '--mount-proc', '--propagation', 'private', 'bash', '-c', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[harness] timed out after ${timeoutMs} ms; killing the namespace\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** SHA-256 fingerprint of the certificate a STARTTLS server presents (for dma's pin). */
export function starttlsFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, host);
    let buf = '';
    let stage = 0;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('fingerprint: timeout')); }, 10_000);
    sock.on('error', reject);
    sock.on('data', (b) => {
      buf += b.toString();
      if (!/\r\n$/.test(buf) || /^\d{3}-/m.test(buf.split('\r\n').slice(-2, -1)[0] ?? '')) return;
      const line = buf;
      buf = '';
      if (stage === 0 && line.startsWith('220')) { stage = 1; sock.write('EHLO fp.test\r\n'); }
      else if (stage === 1 && line.startsWith('250')) { stage = 2; sock.write('STARTTLS\r\n'); }
      else if (stage === 2 && line.startsWith('220')) {
        stage = 3;
        sock.removeAllListeners('data');
        const tls = tlsConnect({ socket: sock, rejectUnauthorized: false, servername: 'omr.sim.test' }, () => {
          const der = tls.getPeerX509Certificate?.()?.raw ?? new X509Certificate(tls.getPeerCertificate().raw).raw;
          clearTimeout(timer);
          tls.end();
          resolve(createHash('sha256').update(der).digest('hex'));
        });
        tls.on('error', reject);
      }
    });
  });
}

export function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { NASTY_PASSWORD, TEST_USER } from './smarthost-answers.js';

export const SIM_NAME = 'omr.sim.test';
export const SIM_IP = '127.0.0.2';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Rehearsal {
  dir: string;
  sim: Simulator;
  caFile: string;
  close(): Promise<void>;
}

/** A simulator on 127.0.0.2 named omr.sim.test, accepting TEST_USER with the nasty password. */
export async function startRehearsal(opts: { tlsPort?: boolean } = {}): Promise<Rehearsal> {
  const dir = mkdtempSync(join(tmpdir(), 'omr-smarthost-real-'));
  const sim = await startSimulator({
    host: SIM_IP, port: 0, hostname: SIM_NAME, accounts: [{ user: TEST_USER, password: NASTY_PASSWORD }],
    ...(opts.tlsPort ? { tlsPort: 0 } : {}),
  });
  const caFile = join(dir, 'ca.pem');
  await sim.writeCa(caFile);
  return {
    dir, sim, caFile,
    async close() {
      await sim.close();
      if (!process.env.OMR_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for a file the namespace script creates (bounded). */
export async function waitForFile(path: string, timeoutMs: number, alive: () => boolean): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(path)) return true;
    if (!alive()) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The omr CLI inside the namespace (same build as the test). */
export const OMR = `node ${REPO}/bin/omr.js`;
