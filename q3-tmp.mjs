import { runLoad } from '/work/main/dist/bench/lib/load.js';
import { startOmr } from '/work/main/dist/bench/lib/omr.js';
import { freePort, sleep } from '/work/main/dist/bench/lib/proc.js';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
const dir = mkdtempSync('/tmp/omr-q2-');
const relay = await startOmr({ dir, sinkPort: await freePort(), upstream: 5, extraArgs: [] });
await runLoad({ messages: Number(process.argv[2]), size: 1024, sessions: 20 }, relay.port, 30 * 60_000);
await sleep(2000);
const cnt = (d) => { try { return readdirSync(`${relay.spool}/${d}`).length; } catch { return -1; } };
console.log('deferred', cnt('deferred'), 'incoming', cnt('incoming'), 'journal segs', cnt('journal'));
for (const args of [[], ['--cpu-prof', '--cpu-prof-dir', '/tmp/qprof']]) {
  const t = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%e s wall %U user %S sys %M KB', process.execPath, ...args, 'bin/omr.js', 'queue', 'list', '--spool', relay.spool, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  console.log('list', Date.now() - t, 'ms', r.stdout.length, r.stderr.trim().split('\n').pop());
}
await relay.stop();
