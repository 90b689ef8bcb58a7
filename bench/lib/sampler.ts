// Samples the memory of a process tree (a root pid and all its descendants) and the number of
// established TCP connections to the sink, every `intervalMs`. Linux /proc only.
import { readFileSync, readdirSync } from 'node:fs';

export interface Sample {
  /**
   * Peak of the sampled sum of Pss over the tree, bytes. Pss splits shared pages (libraries,
   * Postfix's common code) among the processes sharing them, so a tree's sum is not inflated.
   */
  peakRss: number;
  /** VmHWM of the root process at the last sample, bytes (exact peak for a single process). */
  rootHwm: number;
  /** Most simultaneous established connections to the sink port seen. */
  peakUpstream: number;
  samples: number;
  /** CPU seconds (user + system) the tree used since start(), reaped children included. */
  cpuSec: number;
}

const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux.

/** utime+stime of a process, plus cutime+cstime (its reaped children) when `children`. */
function cpuTicks(pid: number, children: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of stat; f[0] is field 3.
    const own = Number(f[11]) + Number(f[12]);
    return children ? own + Number(f[13]) + Number(f[14]) : own;
  } catch {
    return 0;
  }
}

/** CPU ticks of the whole tree: live processes plus everything the root has reaped. */
export function treeCpuTicks(root: number, tree = processTree(root)): number {
  return tree.reduce((sum, pid) => sum + cpuTicks(pid, pid === root), 0);
}

function statusField(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pid and its descendants (one pass over /proc/<pid>/stat). */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(after[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, pp] of parent) if (pp === tree[i]) tree.push(pid);
  return tree;
}

/** Established IPv4 connections whose remote port is `port` (from /proc/net/tcp). */
export function establishedTo(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  try {
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[2]?.endsWith(hex) && f[3] === '01') n++;
    }
  } catch {
    /* no /proc/net/tcp */
  }
  return n;
}

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export class Sampler {
  private timer?: NodeJS.Timeout;
  private tree: number[] = [];
  private ticks = 0;
  readonly result: Sample = { peakRss: 0, rootHwm: 0, peakUpstream: 0, samples: 0, cpuSec: 0 };
  private cpuStart = 0;

  constructor(private readonly root: number, private readonly sinkPort: number, private readonly intervalMs = 100) {}

  start(): this {
    this.cpuStart = treeCpuTicks(this.root);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    return this;
  }

  private tick(): void {
    // The tree changes slowly (Postfix forks workers on demand): refresh it every 5th tick.
    if (this.ticks++ % 5 === 0) this.tree = processTree(this.root);
    let rss = 0;
    for (const pid of this.tree) rss += pss(pid);
    const r = this.result;
    r.peakRss = Math.max(r.peakRss, rss);
    r.rootHwm = Math.max(r.rootHwm, statusField(this.root, 'VmHWM'));
    r.peakUpstream = Math.max(r.peakUpstream, establishedTo(this.sinkPort));
    r.samples++;
  }

  stop(): Sample {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    // Reaped workers are only in the root's cutime; living ones are read directly.
    this.result.cpuSec = (treeCpuTicks(this.root) - this.cpuStart) / TICK;
    return this.result;
  }
}

export function vmField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return statusField(pid, field);
}
