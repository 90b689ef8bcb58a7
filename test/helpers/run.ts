// Runs a program with a hard time limit, for tests that drive real tools (ip, nft, upnpc, omr).
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time until the process closed. */
  ms: number;
}

/** Never rejects on a non-zero exit; rejects only when the program cannot be started. */
export function runCommand(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - t0 }); });
    child.stdin.on('error', () => {}); // a command that exits before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Like runCommand, but a non-zero exit is an error naming the command; returns stdout. */
export async function mustRun(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runCommand(cmd, args, { input });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
