// Builds the index line of a record (format.ts) from the listing's own JSON for it, so that
// copying the pieces back gives byte for byte what serialising the listed object gives.
import { toMessage } from '../queue-reader.js';
import type { QueueRecord } from '../types.js';
import { indexable } from './format.js';

const NEXT = ',"nextAttemptAt":';

export function recordLine(rec: QueueRecord, dueMs?: number): string {
  const parts = lineParts(rec);
  return parts ? `R${rec.id}\t${dueMs ?? ''}\t${parts}\n` : `R${rec.id}\t\n`;
}

/** `<createdAt>\t<head>\t<next>\t<tail>`, or undefined for a record too odd to index. */
function lineParts(rec: QueueRecord): string | undefined {
  const c = rec.createdAt;
  if (typeof c !== 'string' || !/^[\x20-\x7e]+$/.test(c) || c.includes('"') || c.includes('\\') || !Number.isFinite(Date.parse(c))) return undefined;
  let full: string;
  try {
    full = JSON.stringify(toMessage('incoming', rec));
  } catch {
    return undefined;
  }
  const prefix = `{"id":"${rec.id}","state":"incoming",`;
  const k = full.indexOf(NEXT);
  if (!full.startsWith(prefix) || k < prefix.length) return undefined;
  const next = JSON.stringify(rec.nextAttemptAt ?? null);
  if (!full.startsWith(next + ',', k + NEXT.length)) return undefined;
  const head = full.slice(prefix.length, k);
  const tail = full.slice(k + NEXT.length + next.length + 1, -1);
  if (!head || !tail || `${prefix}${head}${NEXT}${next},${tail}}` !== full) return undefined;
  // ASCII only (the reader decodes Latin-1, and copies the text out as is): a record with other
  // characters is listed from its file. A tab cannot occur: JSON escapes control characters.
  if (!/^[\x20-\x7e]*$/.test(full)) return undefined;
  return `${c}\t${head}\t${next}\t${tail}`;
}

