// What `omr queue` does, with or without a running relay. Records outside active/ are changed
// only by rename (atomic; the loser of a race sees ENOENT and looks again); a message the relay
// is working on (active/ or its journal) is handed to the relay as a control request, applied
// after the attempt.
import { stat } from 'node:fs/promises';
import { headerBlockOf, readHeaderBlock } from './bounce.js';
import { journaledOnly, journaledViews, readJournalBody, type JournalMessage } from './journal/scan.js';
import { drainJournal } from './journal/spool-move.js';
import { runningPid, sendControl } from './control.js';
import { indexTrusted, ListIndex } from './list-index/read.js';
import { CliListIndex } from './list-index/writer.js';
import { byAge, QueueReader, toMessage, type QueueMessage } from './queue-reader.js';
import { Spool } from './spool.js';
import type { QueueRecord, QueueState } from './types.js';

export type { QueueMessage };

export interface OpResult {
  /** Done now. */
  done: string[];
  /** Handed to the running relay (message in flight): applied after the current attempt. */
  requested: string[];
  notFound: string[];
}

export class NoSpoolError extends Error {}

/** Opens an existing spool (never creates one: a typo must not make an empty queue). */
export async function openSpool(root: string): Promise<{ spool: Spool; relayPid?: number }> {
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new NoSpoolError(`no relay spool at ${root}`);
  const spool = new Spool(root);
  // What this command writes (a flush's next attempts, a drained journal) goes into the index too.
  spool.listIndex = new CliListIndex(root);
  const relayPid = await runningPid(root);
  // No relay: the CLI owns the spool, so fresh messages still in the journal become ordinary
  // incoming/ files first (what the relay does itself when it starts).
  if (relayPid === undefined) await drainJournal(spool);
  return { spool, relayPid };
}

/** Messages only in a running relay's journal (received, not yet attempted). */
function journaled(spool: Spool, except: (id: string) => boolean = () => false): JournalMessage[] {
  return journaledOnly(spool.dir('journal'), except);
}

async function messageOf(spool: Spool, state: QueueState, rec: QueueRecord): Promise<QueueMessage> {
  const st = state === 'deferred' ? await stat(spool.recordPath('deferred', rec.id)).catch(() => undefined) : undefined;
  return toMessage(state, rec, st?.mtimeMs);
}

/** Reads one record wherever it is now (it may move while we look). */
export async function findMessage(spool: Spool, id: string): Promise<{ state: QueueState; record: QueueRecord } | undefined> {
  for (let tries = 0; tries < 3; tries++) {
    const state = await spool.locate(id);
    if (!state || state === 'corrupt') return undefined;
    try {
      return { state, record: await spool.readRecord(state, id) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return undefined;
}

/**
 * Every queued message, oldest first (see QueueReader: fast, each id once). The list index
 * (src/relay/list-index) spares reading each record file when it can be trusted.
 */
export async function listMessages(spool: Spool, relayRunning?: boolean): Promise<QueueMessage[]> {
  relayRunning ??= (await runningPid(spool.root)) !== undefined;
  // The journal first: a message only ever leaves it for the spool directories (written there
  // before its done entry), so reading the directories afterwards cannot miss one in between.
  // Listed as they are read: 100,000 parsed records never live at once (GC was a quarter of it).
  const fresh = journaledViews(spool.dir('journal'), (rec) => toMessage('incoming', rec));
  const index = indexTrusted(spool.root, relayRunning) ? ListIndex.load(spool.root) : undefined;
  const listed = new QueueReader(spool.root, index).all();
  if (!fresh.length) return listed;
  const seen = new Set(listed.map((m) => m.id));
  for (const m of fresh) if (!seen.has(m.id)) listed.push(m);
  return listed.sort(byAge);
}

export async function showMessage(spool: Spool, id: string): Promise<(QueueMessage & { headers: string }) | undefined> {
  const found = await findMessage(spool, id);
  if (!found) {
    const j = journaled(spool).find((m) => m.record.id === id);
    if (!j) return undefined;
    const body = readJournalBody(spool.dir('journal'), j, 16 * 1024);
    return { ...toMessage('incoming', j.record), helo: j.record.helo, headers: headerBlockOf(body) } as QueueMessage & { headers: string };
  }
  const headers = await readHeaderBlock(spool.bodyPath(id), 16 * 1024).catch(() => '');
  return { ...(await messageOf(spool, found.state, found.record)), helo: found.record.helo, headers } as QueueMessage & { headers: string };
}

/** Ids of queued messages from one LAN client (for hold/release --client). */
export async function idsByClient(spool: Spool, client: string, states: readonly QueueState[]): Promise<string[]> {
  // A set: a record moving between two states while we list them can be seen in both.
  const out = new Set<string>();
  for (const state of states)
    for (const id of await spool.ids(state)) {
      const rec = await spool.readRecord(state, id).catch(() => undefined);
      if (rec && rec.client === client) out.add(id);
    }
  if (states.includes('incoming')) for (const m of journaled(spool)) if (m.record.client === client) out.add(m.record.id);
  return [...out];
}

type Mover = (spool: Spool, id: string, state: QueueState) => Promise<'done' | 'skip'>;

async function eachId(spool: Spool, ids: string[], relayPid: number | undefined, activeOp: 'hold' | 'delete' | undefined, fn: Mover): Promise<OpResult> {
  const res: OpResult = { done: [], requested: [], notFound: [] };
  // Messages in a running relay's journal are the relay's to change, like those in active/.
  let inJournal: Set<string> | undefined;
  for (const id of new Set(ids)) {
    let outcome: 'done' | 'requested' | 'notFound' = 'notFound';
    if (relayPid !== undefined && !(await spool.locate(id))) {
      inJournal ??= new Set(journaled(spool).map((m) => m.record.id));
      if (inJournal.has(id)) {
        res[activeOp ? 'requested' : 'notFound'].push(id);
        continue;
      }
    }
    // A record can move under us (the relay picks it up): look again, at most three times.
    for (let tries = 0; tries < 3; tries++) {
      const state = await spool.locate(id);
      if (!state || state === 'corrupt') break;
      if (state === 'active' && relayPid !== undefined) {
        if (activeOp) outcome = 'requested';
        break;
      }
      if ((await fn(spool, id, state)) === 'done') {
        outcome = 'done';
        break;
      }
    }
    res[outcome].push(id);
  }
  if (relayPid !== undefined) {
    if (res.requested.length && activeOp) await sendControl(spool.root, { op: activeOp, ids: res.requested });
    await sendControl(spool.root, { op: 'rescan' });
  }
  return res;
}

export async function deleteMessages(spool: Spool, ids: string[], relayPid?: number): Promise<OpResult> {
  return eachId(spool, ids, relayPid, 'delete', async (s, id, state) => ((await s.remove(id, state)) ? 'done' : 'skip'));
}

export async function holdMessages(spool: Spool, ids: string[], relayPid?: number): Promise<OpResult> {
  return eachId(spool, ids, relayPid, 'hold', async (s, id, state) => {
    if (state === 'hold') return 'done';
    return (await s.move(id, state, 'hold', true)) ? 'done' : 'skip';
  });
}

/** Released mail goes to incoming/: due at once. */
export async function releaseMessages(spool: Spool, ids: string[], relayPid?: number): Promise<OpResult> {
  return eachId(spool, ids, relayPid, undefined, async (s, id, state) => {
    if (state !== 'hold') return 'skip';
    return (await s.move(id, 'hold', 'incoming', true)) ? 'done' : 'skip';
  });
}

/** Makes deferred mail due now; a running relay also clears its backoff and any pause. */
export async function flushMessages(spool: Spool, ids: string[] | undefined, relayPid?: number): Promise<OpResult> {
  const res: OpResult = { done: [], requested: [], notFound: [] };
  const targets = ids ?? (await spool.ids('deferred'));
  const now = Date.now();
  for (const id of targets) {
    try {
      await spool.setDue('deferred', id, now);
      res.done.push(id);
    } catch {
      const state = await spool.locate(id);
      if (state === 'incoming' || state === 'active') res.done.push(id);
      else res.notFound.push(id);
    }
  }
  if (relayPid !== undefined) await sendControl(spool.root, { op: 'flush', ids });
  return res;
}
