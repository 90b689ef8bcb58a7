// Small file helpers shared by the ops modules: where their state lives in the spool, and an
// atomic JSON snapshot (write tmp, rename) so a reader never sees half a file.
import { mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

/** Time source in epoch ms; injectable so tests can move time. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** spool/ops: client counters, event log, quota meter, dedupe index. */
export function opsDir(spoolRoot: string): string {
  return join(spoolRoot, 'ops');
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export function ensureDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes JSON atomically (tmp + rename; no fsync: these are counters, not mail). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(value) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** Parsed JSON, or undefined when the file is missing or unreadable (state then starts empty). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Rewrites a JSON-lines file atomically. */
export async function writeJsonLinesAtomic(path: string, rows: unknown[]): Promise<void> {
  await ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await writeFile(tmp, rows.map((r) => JSON.stringify(r) + '\n').join(''), { mode: 0o600 });
  await rename(tmp, path);
}
