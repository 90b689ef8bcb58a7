// Our relay under test: `node bin/omr.js relay start` with its own spool under the temp dir,
// plaintext to the sink (which has no AUTH), at most `upstream` connections. Its log goes to a
// file, as Postfix's does, so pipe back-pressure never slows it.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST, freePort, stopChild, waitForBanner } from './proc.js';
import type { RelayHandle } from './postfix.js';

/** This checkout's CLI; OMR_BENCH_BIN points the benchmark at another build (before/after). */
export const OMR_BIN = process.env.OMR_BENCH_BIN || fileURLToPath(new URL('../../../bin/omr.js', import.meta.url));

export interface OmrOptions {
  dir: string;
  sinkPort: number;
  upstream: number;
  /** Extra arguments for `omr relay start` (e.g. limits that would otherwise throttle the load). */
  extraArgs?: string[];
  /** Write a V8 CPU profile (node --cpu-prof) into this directory. */
  cpuProfDir?: string;
  /** Smarthost port override (a closed port = upstream down). */
  smarthostPort?: number;
  maxMessageSize?: number;
  /** bin/omr.js to run instead of OMR_BIN. */
  bin?: string;
}

export function omrArgs(o: OmrOptions, port: number): string[] {
  const node: string[] = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
  // OMR_BENCH_NODE_ARGS: extra node flags for the relay only (e.g. --trace-gc; its output lands in omr.log).
  node.push(...(process.env.OMR_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean));
  return [
    ...node,
    o.bin ?? OMR_BIN,
    'relay',
    'start',
    '--listen', `${HOST}:${port}`,
    '--smarthost', `${HOST}:${o.smarthostPort ?? o.sinkPort}`,
    '--tls', 'none',
    '--spool', join(o.dir, 'spool'),
    '--max-connections', String(o.upstream),
    '--max-message-size', String(o.maxMessageSize ?? 100 * 1024 * 1024),
    '--log-format', 'json',
    // One client (smtp-source) sends everything: per-client limits meant for office PCs would
    // throttle the benchmark itself. Postfix has no such limits in its satellite config either.
    '--client-rate', 'off',
    '--client-recipient-rate', 'off',
    '--sessions-per-client', '200',
    ...(o.extraArgs ?? []),
  ];
}

export async function startOmr(o: OmrOptions): Promise<RelayHandle & { spool: string }> {
  const port = await freePort();
  const log = join(o.dir, 'omr.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, omrArgs(o, port), { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const logTail = async (): Promise<string> => (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, sig) => reject(new Error(`omr relay exited early (${code ?? sig})`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForBanner(port, 15_000), exited]);
  } catch (e) {
    await stopChild(child, 2000);
    throw new Error(`${(e as Error).message}\n${await logTail()}`);
  }
  return {
    name: 'omr',
    port,
    pid: child.pid!,
    spool: join(o.dir, 'spool'),
    stop: () => stopChild(child, 15_000),
    logTail,
  };
}
