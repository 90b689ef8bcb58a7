// Startup budget: median wall time of `omr --version` and `omr --help` against bare
// `node -e 0` in the same run. Budget: --version within 80 ms of bare node.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/omr.js', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 25);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(samples);
}

const bare = time(['-e', '0']);
const version = time([BIN, '--version']);
const help = time([BIN, '--help']);
const rows = [
  ['node -e 0', bare],
  ['omr --version', version],
  ['omr --help', help],
] as const;
for (const [name, ms] of rows) console.log(`${name.padEnd(16)} ${ms.toFixed(1).padStart(7)} ms  (+${(ms - bare).toFixed(1)} ms over bare node)`);
const over = version - bare;
console.log(over <= 80 ? `OK: --version is ${over.toFixed(1)} ms over bare node (budget 80 ms)` : `OVER BUDGET: --version is ${over.toFixed(1)} ms over bare node (budget 80 ms)`);
process.exitCode = over <= 80 ? 0 : 1;
