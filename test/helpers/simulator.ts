// Test helpers around the OMR simulator: start one on a free loopback port with a known account
// and its CA written to a temp file, and a tiny raw SMTP client for tests that need exact
// control over a session (hold it open, send chosen bytes, see every reply).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const SIM_USER = 'office@example.test';
export const SIM_PASSWORD = 'sim-Passw0rd!';

export interface TestSimulator extends Simulator {
  /** Temp dir owned by the test (holds ca.pem; use it for stores too). */
  dir: string;
  caFile: string;
  /** Close the simulator and remove the temp dir. */
  cleanup(): Promise<void>;
}

export async function startTestSimulator(opts: Partial<SimulatorOptions> = {}): Promise<TestSimulator> {
  const dir = await mkdtemp(join(tmpdir(), 'omr-sim-test-'));
  try {
    const sim = await startSimulator({ port: 0, accounts: [{ user: SIM_USER, password: SIM_PASSWORD }], ...opts });
    const caFile = join(dir, 'ca.pem');
    await sim.writeCa(caFile);
    return Object.assign(sim, {
      dir,
      caFile,
      cleanup: async () => {
        await sim.close();
        await rm(dir, { recursive: true, force: true });
      },
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface SmtpReply {
  code: number;
  lines: string[];
  text: string;
}

/** Line-oriented SMTP client for tests. Every wait is bounded by `timeoutMs`. */
export class RawSmtp {
  private buf = '';
  private replies: SmtpReply[] = [];
  private waiting?: (r: SmtpReply | null) => void;
  closed = false;
  greeting!: SmtpReply;

  private constructor(
    public socket: Socket | TLSSocket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.(null);
    });
    socket.on('error', () => {});
  }

  static async open(port: number, o: { host?: string; implicitTls?: boolean; ca?: string; timeoutMs?: number } = {}): Promise<RawSmtp> {
    const host = o.host ?? '127.0.0.1';
    const sock = o.implicitTls ? tlsConnect({ host, port, ca: o.ca, servername: 'localhost' }) : netConnect({ host, port });
    await new Promise<void>((res, rej) => {
      sock.once(o.implicitTls ? 'secureConnect' : 'connect', () => res());
      sock.once('error', rej);
    });
    const c = new RawSmtp(sock, o.timeoutMs ?? 5000);
    c.greeting = await c.read();
    return c;
  }

  private onData(d: string): void {
    this.buf += d;
    let m: RegExpExecArray | null;
    const lines: string[] = [];
    while ((m = /^(.*?)\r?\n/.exec(this.buf))) {
      lines.push(m[1]!);
      this.buf = this.buf.slice(m[0].length);
    }
    for (const l of lines) this.pending.push(l);
    while (true) {
      const end = this.pending.findIndex((l) => /^\d{3}( |$)/.test(l));
      if (end === -1) break;
      const ls = this.pending.splice(0, end + 1);
      const r = { code: Number(ls[end]!.slice(0, 3)), lines: ls, text: ls.join('\n') };
      if (this.waiting) this.waiting(r);
      else this.replies.push(r);
    }
  }
  private pending: string[] = [];

  /** Next reply; code 0 when the server closed the connection first. */
  read(): Promise<SmtpReply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    if (this.closed) return Promise.resolve({ code: 0, lines: [], text: '(connection closed)' });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no SMTP reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = (rep) => {
        clearTimeout(t);
        this.waiting = undefined;
        resolve(rep ?? { code: 0, lines: [], text: '(connection closed)' });
      };
    });
  }

  async cmd(line: string): Promise<SmtpReply> {
    if (!this.closed) this.socket.write(line + '\r\n');
    return this.read();
  }

  async starttls(ca: string, servername = 'localhost'): Promise<SmtpReply> {
    const r = await this.cmd('STARTTLS');
    if (r.code !== 220) return r;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const tls = tlsConnect({ socket: this.socket, ca, servername });
    await new Promise<void>((res, rej) => {
      tls.once('secureConnect', () => res());
      tls.once('error', rej);
    });
    this.socket = tls;
    this.attach(tls);
    return r;
  }

  authPlain(user: string, pass: string): Promise<SmtpReply> {
    return this.cmd('AUTH PLAIN ' + Buffer.from(`\0${user}\0${pass}`).toString('base64'));
  }

  /** EHLO, STARTTLS, EHLO, AUTH PLAIN: the usual way in; returns the AUTH reply. */
  async login(ca: string, user = SIM_USER, pass = SIM_PASSWORD): Promise<SmtpReply> {
    await this.cmd('EHLO client.test');
    const st = await this.starttls(ca);
    if (st.code !== 220) return st;
    await this.cmd('EHLO client.test');
    return this.authPlain(user, pass);
  }

  /** DATA with `wire` sent verbatim (the caller dot-stuffs and terminates). */
  async data(wire: Buffer | string): Promise<SmtpReply> {
    const r = await this.cmd('DATA');
    if (r.code !== 354) return r;
    this.socket.write(wire);
    return this.read();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Dot-stuff a message and add the end-of-data marker (the client side of RFC 5321 4.5.2). */
/** Runs fn with a fresh test simulator and always cleans it up. */
export async function withSimulator(opts: Partial<SimulatorOptions>, fn: (sim: TestSimulator) => Promise<void>): Promise<void> {
  const sim = await startTestSimulator(opts);
  try {
    await fn(sim);
  } finally {
    await sim.cleanup();
  }
}

export function dotStuff(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n', 'latin1');
}


/** True when `path` exists; otherwise fails the test in CI, else skips it naming the tool. */
export function needTool(t: TestContext, path: string, pkg: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === 'true') throw new Error(`${path} is missing (Debian package ${pkg}); CI must install it`);
  t.skip(`${path} not installed (apt-get install ${pkg})`);
  return false;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program with a time limit; never throws for a non-zero exit. */
export function runTool(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 20_000, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin?.end();
  });
}

export interface CliSimulator {
  child: ChildProcess;
  port: number;
  tlsPort?: number;
  statusPort?: number;
  stderr(): string;
  /** Wait for the process to exit by itself (SIGKILL after timeoutMs). */
  waitExit(timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** SIGTERM, wait for exit; resolves with the exit code and stdout. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const OMR_BIN = new URL('../../../bin/omr.js', import.meta.url).pathname;

/** Start `omr simulate --json ...` as a child process and wait for its `listening` line. */
export async function spawnSimulateCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000): Promise<CliSimulator> {
  const child = spawn(process.execPath, [OMR_BIN, 'simulate', '--json', '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`omr simulate did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const line = stderr.split('\n').find((l) => l.includes('"event":"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`omr simulate exited (${code}) before listening: ${stderr}`));
    });
  }).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  const portOf = (hp?: string) => (hp ? Number(hp.slice(hp.lastIndexOf(':') + 1)) : undefined);
  return {
    child,
    port: portOf(ready.listen)!,
    tlsPort: portOf(ready.tlsListen),
    statusPort: portOf(ready.status),
    stderr: () => stderr,
    waitExit: async (ms) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
  };
}
