// The load generator: Postfix's smtp-source with `sessions` parallel connections. Its exit time
// is the moment the last message got its 250 (it QUITs right after).
import { spawn } from 'node:child_process';
import { HOST, requireTool } from './proc.js';

export interface LoadSpec {
  messages: number;
  /** Body bytes per message (smtp-source -l; headers come on top, about 150 bytes). */
  size: number;
  sessions: number;
  /** One connection per message instead of reusing each session (-d off). */
  newConnectionPerMessage?: boolean;
}

export interface LoadResult {
  /** performance.now() when smtp-source exited. */
  endedAt: number;
  /** Lines smtp-source wrote to stderr (warnings about refused messages). */
  problems: string[];
  status: number | null;
}

export function smtpSourceArgs(spec: LoadSpec, port: number): string[] {
  const args = ['-s', String(spec.sessions), '-m', String(spec.messages), '-l', String(spec.size)];
  if (!spec.newConnectionPerMessage) args.push('-d');
  // -N: a distinct recipient per message, so no layer can collapse identical messages.
  args.push('-N', '-f', 'bench@client.bench.test', '-t', 'rcpt@sink.bench.test', `${HOST}:${port}`);
  return args;
}

export function runLoad(spec: LoadSpec, port: number, timeoutMs: number): Promise<LoadResult> {
  const bin = requireTool('smtp-source', 'postfix');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, smtpSourceArgs(spec, port), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-100_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (status, signal) => {
      const endedAt = performance.now();
      clearTimeout(timer);
      const problems = err.split('\n').filter((l) => l.trim());
      if (signal) return reject(new Error(`smtp-source timed out after ${timeoutMs} ms (${problems.slice(-3).join(' | ')})`));
      resolve({ endedAt, problems, status });
    });
  });
}
