// Numbered segment files (the journal's NNNNNNNNNN.wal, the list index's NNNNNNNNNN.log).
import { readdirSync } from 'node:fs';

/** The sequence numbers of the files in `dir` that `seqOf` recognises, ascending ([] when `dir` is missing). */
export function listNumbered(dir: string, seqOf: (name: string) => number | undefined): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.map(seqOf).filter((s): s is number => s !== undefined).sort((a, b) => a - b);
}
