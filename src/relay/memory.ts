// Keeps memory bounded while large bodies stream through. Received socket chunks are external
// ArrayBuffers: the JS heap barely grows, so V8 runs no GC and dead chunks pile up to its
// external-memory soft limit (~32-64 MiB) before anything is freed. A young-generation GC every
// few MiB of streamed data frees them early (a scavenge of mostly dead objects costs ~1 ms).
// Every 8 MiB: a 25 MiB message adds 9.5 MiB to the RSS high-water mark (budget 32). 16 MiB
// saved 5 MiB messages ~1% CPU but raised the relay's peak in the 100 KiB burst by ~20 MiB.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = (opts?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

const EVERY_BYTES = 8 * 1024 * 1024;
let gcFn: GcFn | null | undefined;
let sinceGc = 0;

function getGc(): GcFn | null {
  if (gcFn !== undefined) return gcFn;
  try {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as GcFn;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** Counts streamed bytes; every few MiB asks V8 for a minor GC. */
export function noteStreamed(bytes: number): void {
  sinceGc += bytes;
  if (sinceGc < EVERY_BYTES) return;
  sinceGc = 0;
  const gc = getGc();
  if (gc) gc({ type: 'minor' });
}
