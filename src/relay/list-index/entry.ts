// Builds the index line of a record (format.ts): the listing's own JSON for it in the state it
// was written into, with the offsets needed to adapt it when the record has moved since.
import { toMessage } from '../queue-reader.js';
import type { QueueRecord, QueueState } from '../types.js';

const NEXT = ',"nextAttemptAt":';

/** `R<id>\t<state>\t<due>\t<createdAt>\t<recNext>\t<k>\t<k2>\t<json>\n`, or `R<id>\t\n` (unusable). */
export function recordLine(rec: QueueRecord, state: QueueState, dueMs?: number): string {
  return `R${rec.id}\t${lineFields(rec, state, dueMs) ?? ''}\n`;
}

function lineFields(rec: QueueRecord, state: QueueState, dueMs?: number): string | undefined {
  const c = rec.createdAt;
  if (typeof c !== 'string' || !/^[\x21-\x7e]+$/.test(c) || c.includes('"') || c.includes('\\') || !Number.isFinite(Date.parse(c))) return undefined;
  // In deferred/ the listing shows the file's mtime: without it there is nothing to store.
  if (state === 'deferred' && dueMs === undefined) return undefined;
  let json: string;
  try {
    json = JSON.stringify(toMessage(state, rec, dueMs));
  } catch {
    return undefined;
  }
  // ASCII only (the reader decodes Latin-1 and copies the text out as is): a record with other
  // characters is listed from its file. Tabs and newlines cannot occur: JSON escapes them.
  if (!/^[\x20-\x7e]*$/.test(json)) return undefined;
  const prefix = `{"id":"${rec.id}","state":"${state}",`;
  // The keys before nextAttemptAt hold scalars: its first occurrence is the key.
  const at = json.indexOf(NEXT);
  if (!json.startsWith(prefix) || at < prefix.length - 1) return undefined;
  const k = at + NEXT.length;
  // Its value (a string or null) ends where the next key, lastReply, starts.
  const k2 = json.indexOf(',"lastReply":', k);
  if (k2 === -1) return undefined;
  const recNext = JSON.stringify(rec.nextAttemptAt ?? null);
  return `${state}\t${dueMs ?? ''}\t${c}\t${recNext}\t${k}\t${k2}\t${json}`;
}
