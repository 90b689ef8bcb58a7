// The relay's memory checks (issue 9): peak RSS during the 10k burst, what one 25 MiB message
// adds, and 100,000 messages queued while the smarthost is down (memory stays bounded and
// `omr queue list` answers within 2 s).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from './load.js';
import { OMR_BIN, startOmr } from './omr.js';
import { freePort, sleep } from './proc.js';
import { vmField } from './sampler.js';
import { pending, runScenario, SCENARIOS, type RunConfig } from './scenario.js';
import { startSink } from './sink.js';

const MiB = 1048576;

export interface MemoryCheck {
  name: string;
  value: number;
  limit: number;
  unit: string;
  ok: boolean;
  detail?: string;
}

async function withDir<T>(fn: (dir: string) => Promise<T>, keep: boolean): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'omr-bench-mem-'));
  const cleanup = (): Promise<void> => (keep ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  pending.add(cleanup);
  try {
    return await fn(dir);
  } finally {
    pending.delete(cleanup);
    await cleanup();
  }
}

export async function burstCheck(cfg: RunConfig, scale: number): Promise<MemoryCheck> {
  const sc = { ...SCENARIOS[0]!, messages: Math.max(1, Math.round(10_000 * scale)) };
  const r = await runScenario('omr', sc, cfg);
  return { name: `peak RSS, ${sc.messages} x 1 KiB burst`, value: r.peakRssBytes / MiB, limit: 150, unit: 'MiB', ok: r.peakRssBytes / MiB <= 150 };
}

export function bigMessageCheck(cfg: RunConfig, size = 25 * MiB): Promise<MemoryCheck> {
  return withDir(async (dir) => {
    const sink = await startSink(cfg.upstream);
    try {
      const relay = await startOmr({ dir, sinkPort: sink.port, upstream: cfg.upstream, extraArgs: cfg.omrArgs });
      try {
        await sleep(1000);
        const base = vmField(relay.pid, 'VmHWM');
        await runLoad({ messages: 1, size, sessions: 1 }, relay.port, 120_000);
        await sink.waitFor(1, cfg.stallMs);
        const added = (vmField(relay.pid, 'VmHWM') - base) / MiB;
        return { name: `RSS added by one ${size / MiB} MiB message`, value: added, limit: 32, unit: 'MiB', ok: added < 32, detail: `high-water mark before ${(base / MiB).toFixed(0)} MiB` };
      } finally {
        await relay.stop();
      }
    } finally {
      await sink.stop();
    }
  }, cfg.keep);
}

/** A failed smtp-source run would make the growth check pass on nothing (seen once: 17 s, 0 queued). */
function checkLoad(r: LoadResult): void {
  if (r.status !== 0) throw new Error(`smtp-source exited ${r.status}: ${r.problems.slice(-3).join(' | ')}`);
}

/** Queues `count` messages with the smarthost down, then times `omr queue list --json`. */
export function queuedChecks(cfg: RunConfig, count: number): Promise<MemoryCheck[]> {
  return withDir(async (dir) => {
    const closedPort = await freePort();
    const relay = await startOmr({ dir, sinkPort: closedPort, upstream: cfg.upstream, extraArgs: cfg.omrArgs });
    try {
      const tenth = Math.max(1, Math.round(count / 10));
      checkLoad(await runLoad({ messages: tenth, size: 1024, sessions: cfg.sessions }, relay.port, 30 * 60_000));
      const rssAtTenth = vmField(relay.pid, 'VmRSS');
      checkLoad(await runLoad({ messages: count - tenth, size: 1024, sessions: cfg.sessions }, relay.port, 60 * 60_000));
      await sleep(2000);
      const rssAtEnd = vmField(relay.pid, 'VmRSS');
      const hwm = vmField(relay.pid, 'VmHWM');
      const t = performance.now();
      const list = spawnSync(process.execPath, [OMR_BIN, 'queue', 'list', '--spool', relay.spool, '--json'], { encoding: 'utf8', maxBuffer: 1024 * MiB });
      const listSec = (performance.now() - t) / 1000;
      let listed = -1;
      try {
        listed = (JSON.parse(list.stdout) as { data: { messages: unknown[] } }).data.messages.length;
      } catch {
        /* reported below */
      }
      const growth = (rssAtEnd - rssAtTenth) / MiB;
      return [
        { name: `peak RSS with ${count} queued, upstream down`, value: hwm / MiB, limit: 150, unit: 'MiB', ok: hwm / MiB <= 150 },
        { name: `RSS growth from ${tenth} to ${count} queued`, value: growth, limit: 32, unit: 'MiB', ok: growth < 32, detail: `${(rssAtTenth / MiB).toFixed(0)} -> ${(rssAtEnd / MiB).toFixed(0)} MiB` },
        { name: `omr queue list --json on ${count} queued`, value: listSec, limit: 2, unit: 's', ok: listSec <= 2 && listed === count, detail: `listed ${listed}, exit ${list.status}${list.status ? `: ${list.stderr.trim().slice(0, 200)}` : ''}` },
      ];
    } finally {
      await relay.stop();
    }
  }, cfg.keep);
}

export async function runMemoryChecks(cfg: RunConfig, scale = 1): Promise<number> {
  const checks: MemoryCheck[] = [];
  const step = async (name: string, fn: () => Promise<MemoryCheck | MemoryCheck[]>): Promise<void> => {
    process.stderr.write(`memory: ${name} ...\n`);
    try {
      checks.push(...([] as MemoryCheck[]).concat(await fn()));
    } catch (e) {
      checks.push({ name, value: NaN, limit: NaN, unit: '', ok: false, detail: (e as Error).message.split('\n')[0] });
    }
  };
  await step('10k burst', () => burstCheck(cfg, scale));
  await step('25 MiB message', () => bigMessageCheck(cfg));
  await step('100k queued', () => queuedChecks(cfg, Math.max(10, Math.round(100_000 * scale))));
  for (const c of checks) {
    const v = Number.isFinite(c.value) ? `${c.value.toFixed(c.unit === 's' ? 2 : 1)} ${c.unit}` : 'error';
    console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(46)} ${v.padStart(10)}  (limit ${c.limit} ${c.unit})${c.detail ? `  ${c.detail}` : ''}`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
