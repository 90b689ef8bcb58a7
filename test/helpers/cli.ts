// Runs the real CLI (bin/omr.js) as a child process, as a user or script would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const OMR_BIN = fileURLToPath(new URL('../../../bin/omr.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** Send SIGTERM once stderr matches this (for commands that run until stopped). */
  stopWhen?: RegExp;
}

/** Runs `omr ARGS...`; NO_COLOR/FORCE_COLOR are cleared unless given. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, OMR_PASSWORD: undefined, OMR_CONFIG: undefined, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OMR_BIN, ...args], { env, cwd: opts.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    let stopped = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (opts.stopWhen && !stopped && opts.stopWhen.test(stderr)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Parses stdout as the one JSON envelope --json promises; fails loudly otherwise. */
export function parseEnvelope(r: CliResult): Record<string, any> {
  try {
    return JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
}
