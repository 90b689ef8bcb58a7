// One measured run: fresh sink, fresh relay (its own temp dir), the same smtp-source load, then
// everything stopped and removed. Times are measured from the moment smtp-source is started.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './load.js';
import { startOmr } from './omr.js';
import { startPostfix, type RelayHandle } from './postfix.js';
import { Sampler } from './sampler.js';
import { startSink } from './sink.js';

/** omr-base: another build of omr (--compare BIN), measured in the same run for before/after. */
export type RelayKind = 'omr' | 'postfix' | 'omr-base';

export interface Scenario {
  name: string;
  messages: number;
  size: number;
}

export const SCENARIOS: Scenario[] = [
  { name: '1k', messages: 10_000, size: 1024 },
  { name: '100k', messages: 2_000, size: 100 * 1024 },
  { name: '5m', messages: 200, size: 5 * 1024 * 1024 },
];

export interface RunConfig {
  sessions: number;
  upstream: number;
  newConnectionPerMessage: boolean;
  postfixCache: boolean;
  omrArgs: string[];
  cpuProfDir?: string;
  /** bin/omr.js of the build to compare against (relay kind omr-base). */
  compareBin?: string;
  /** Give up when the sink count does not move for this long. */
  stallMs: number;
  keep: boolean;
}

export interface RunResult {
  relay: RelayKind;
  scenario: string;
  messages: number;
  size: number;
  acceptSec: number;
  e2eSec: number;
  acceptRate: number;
  e2eRate: number;
  /** Delivered body MiB per second, end to end. */
  e2eMiBps: number;
  peakRssBytes: number;
  peakUpstream: number;
  /** CPU time of the relay (all its processes) per message, ms: steadier than rates on a busy machine. */
  cpuMsPerMsg: number;
  /** smtp-source warnings (refused or failed messages). */
  problems: number;
}

/** Cleanups still owed if the process is interrupted (run.ts calls them on SIGINT). */
export const pending = new Set<() => Promise<void>>();

async function startRelay(kind: RelayKind, dir: string, sinkPort: number, cfg: RunConfig): Promise<RelayHandle> {
  if (kind === 'postfix') return startPostfix({ dir, sinkPort, upstream: cfg.upstream, connectionCache: cfg.postfixCache });
  const bin = kind === 'omr-base' ? cfg.compareBin : undefined;
  return startOmr({ dir, sinkPort, upstream: cfg.upstream, extraArgs: cfg.omrArgs, cpuProfDir: cfg.cpuProfDir, bin });
}

export async function runScenario(kind: RelayKind, sc: Scenario, cfg: RunConfig): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), `omr-bench-${kind}-`));
  const steps: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const s of steps.splice(0).reverse()) await s().catch(() => undefined);
  };
  pending.add(cleanup);
  steps.push(() => (cfg.keep ? Promise.resolve() : rm(dir, { recursive: true, force: true })));
  try {
    const sink = await startSink(cfg.upstream);
    steps.push(() => sink.stop());
    const relay = await startRelay(kind, dir, sink.port, cfg);
    steps.push(() => relay.stop());
    const sampler = new Sampler(relay.pid, sink.port).start();
    steps.push(async () => void sampler.stop());
    const t0 = performance.now();
    const load = await runLoad({ messages: sc.messages, size: sc.size, sessions: cfg.sessions, newConnectionPerMessage: cfg.newConnectionPerMessage }, relay.port, 30 * 60_000);
    let delivered: number;
    try {
      delivered = await sink.waitFor(sc.messages, cfg.stallMs);
    } catch (e) {
      throw new Error(`${kind} ${sc.name}: ${(e as Error).message}; smtp-source: ${load.problems.slice(-3).join(' | ') || 'ok'}\n${await relay.logTail()}`);
    }
    const mem = sampler.stop();
    const acceptSec = (load.endedAt - t0) / 1000;
    const e2eSec = (Math.max(delivered, load.endedAt) - t0) / 1000;
    return {
      relay: kind,
      scenario: sc.name,
      messages: sc.messages,
      size: sc.size,
      acceptSec,
      e2eSec,
      acceptRate: sc.messages / acceptSec,
      e2eRate: sc.messages / e2eSec,
      e2eMiBps: (sc.messages * sc.size) / 1048576 / e2eSec,
      // A single process: its exact high-water mark; a process tree: the sampled peak sum.
      peakRssBytes: kind !== 'postfix' ? Math.max(mem.rootHwm, mem.peakRss) : mem.peakRss,
      peakUpstream: mem.peakUpstream,
      cpuMsPerMsg: (mem.cpuSec * 1000) / sc.messages,
      problems: load.problems.length,
    };
  } finally {
    pending.delete(cleanup);
    await cleanup();
  }
}
