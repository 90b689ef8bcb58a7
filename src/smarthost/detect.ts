// Which MTA is installed here: each one's own version query, first answer wins. Injectable
// `exec` so tests can fake the machine.
import { execFile } from 'node:child_process';
import type { ServerId } from './types.js';

export type Exec = (cmd: string, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const realExec: Exec = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 127) : 0;
      resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') });
    });
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
    const r = await exec(p.cmd, p.args);
    const text = `${r.stdout}\n${r.stderr}`;
    // smtpd -h exits non-zero but still names itself; a missing binary gives code 127 / ENOENT.
    if (r.code === 127 || (r.code !== 0 && !p.version.test(text))) continue;
    const m = p.version.exec(text);
    if (!m && r.code !== 0) continue;
    return { server: p.server, version: m?.[1], evidence: `${p.cmd} ${p.args.join(' ')}` };
  }
  return undefined;
}
