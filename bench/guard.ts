// Micro-benchmark of the receive guard (src/relay/guard.ts): CPU time to check a 5 MiB body of
// 80-byte CRLF lines in 64 KiB chunks, best of 20, and the mean over 200 checks (which includes
// the garbage collection of whatever the guard allocates). Run: npm run bench:guard (with
// --compare, also the former JS guard, test/helpers/relay-guard-reference.ts).
import { DataGuard } from '../src/relay/guard.js';

interface Guard {
  check(b: Buffer): boolean;
  finish(): boolean;
}

function body(dots: boolean): Buffer[] {
  const line = 'x'.repeat(78) + '\r\n';
  const dotted = '.' + 'x'.repeat(77) + '\r\n';
  const lines = ['Subject: bench\r\n', 'From: a@example.com\r\n', '\r\n'];
  while (lines.length * 80 < 5 * 1024 * 1024) lines.push(dots && lines.length % 100 === 0 ? dotted : line);
  const all = Buffer.from(lines.join(''), 'latin1');
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 65_536) chunks.push(all.subarray(at, at + 65_536));
  return chunks;
}

function once(make: () => Guard, chunks: Buffer[]): void {
  const g = make();
  for (const c of chunks) g.check(c);
  if (!g.finish()) throw new Error('the bench body must pass the guard');
}

const cpuMs = (d: NodeJS.CpuUsage): number => (d.user + d.system) / 1000;

/** Best CPU ms (user + system) over `runs` checks of the whole body. */
function best(make: () => Guard, chunks: Buffer[], runs = 20): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = process.cpuUsage();
    once(make, chunks);
    min = Math.min(min, cpuMs(process.cpuUsage(t)));
  }
  return min;
}

/** Mean CPU ms per check over `runs` checks in a row, GC included. */
function mean(make: () => Guard, chunks: Buffer[], runs = 200): number {
  const t = process.cpuUsage();
  for (let r = 0; r < runs; r++) once(make, chunks);
  return cpuMs(process.cpuUsage(t)) / runs;
}

const guards: Array<[string, () => Guard]> = [['wasm guard', () => new DataGuard(998, 256 * 1024)]];
if (process.argv.includes('--compare')) {
  // test/helpers is compiled next to bench/ in dist (not shipped); loaded only when asked for.
  const { JsDataGuard } = await import('../test/helpers/relay-guard-reference.js');
  guards.push(['former JS guard', () => new JsDataGuard(998, 256 * 1024)]);
}
for (const dots of [false, true]) {
  const chunks = body(dots);
  for (const [name, make] of guards) {
    for (let w = 0; w < 5; w++) best(make, chunks, 1); // warm up (JIT)
    const b = best(make, chunks);
    process.stdout.write(`${name}${dots ? ' (1% dot lines)' : ''}: ${b.toFixed(3)} ms CPU per 5 MiB (best of 20), ${mean(make, chunks).toFixed(3)} ms (mean of 200)\n`);
  }
}
