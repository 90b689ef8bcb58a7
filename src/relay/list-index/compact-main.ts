// Child process entry of the list index compaction (see compact.ts):
//   node compact-main.js SPOOL UPTO TARGET DELAY_MS
// Prints the report as one JSON line. The delay lets a `queue flush` that chose the newest
// segment just before the relay sealed it finish its append first.
import { writeSnapshot } from './compact.js';

const [root, upTo, target, delay] = process.argv.slice(2);
setTimeout(() => {
  try {
    const report = writeSnapshot(root!, Number(upTo), Number(target));
    process.stdout.write(JSON.stringify(report) + '\n');
  } catch (e) {
    process.stderr.write(`list index compaction failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}, Number(delay) || 0);
