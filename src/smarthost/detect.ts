// Which MTA is installed here: each one's own version query, first answer wins. Injectable
// `exec` so tests can fake the machine.
import { execFile } from 'node:child_process';
import type { ServerId } from './types.js';

export type Exec = (cmd: string, args: string[], timeoutMs?: number) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Runs a command with empty stdin and a time limit; 127 = not found, 124 = timed out. */
export const realExec: Exec = (cmd, args, timeoutMs = 60_000) =>
  new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean }) | null;
      const code = !e ? 0 : e.killed ? 124 : typeof e.code === 'number' ? e.code : 127;
      resolve({ code, stdout: String(stdout ?? ''), stderr: `${String(stderr ?? '')}${code === 124 ? `\n(timed out after ${timeoutMs} ms)` : ''}` });
    });
    child.stdin?.end();
  });

interface Probe {
  server: ServerId;
  cmd: string;
  args: string[];
  version: RegExp;
}

const PROBES: Probe[] = [
  { server: 'postfix', cmd: 'postconf', args: ['-h', 'mail_version'], version: /^(\d[\w.-]*)/m },
  { server: 'exim4', cmd: 'exim4', args: ['-bV'], version: /Exim version (\S+)/ },
  { server: 'exim4', cmd: 'exim', args: ['-bV'], version: /Exim version (\S+)/ },
  { server: 'opensmtpd', cmd: 'smtpd', args: ['-h'], version: /(?:OpenSMTPD|version)\s+(\S+)/i },
  { server: 'sendmail', cmd: '/usr/lib/sm.bin/sendmail', args: ['-d0.1', '-bt'], version: /Version (\S+)/ },
  { server: 'nullmailer', cmd: 'nullmailer-send', args: ['--version'], version: /nullmailer[- ]send\D*(\d[\w.]*)/i },
  { server: 'dma', cmd: 'dma', args: ['-bV'], version: /(\d+\.\d+[\w.]*)/ },
  { server: 'msmtp', cmd: 'msmtp', args: ['--version'], version: /msmtp version (\S+)/ },
];

export interface Detected {
  server: ServerId;
  version?: string;
  evidence: string;
}

export async function detectMta(exec: Exec = realExec): Promise<Detected | undefined> {
  for (const p of PROBES) {
    const r = await exec(p.cmd, p.args, 10_000);
    const text = `${r.stdout}\n${r.stderr}`;
    // Only a missing binary (127) means "not installed": postconf fails without main.cf and
    // smtpd -h exits non-zero, yet the MTA is there.
    if (r.code === 127) continue;
    const m = p.version.exec(text);
    return { server: p.server, version: m?.[1], evidence: `${p.cmd} ${p.args.join(' ')}` };
  }
  return undefined;
}
