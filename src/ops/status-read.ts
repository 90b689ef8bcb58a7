// Status and client counters for the `omr relay` commands: from the running relay through the
// control socket when it answers, from the spool files alone when it does not.
import { loadClientStats, type ClientCounters } from './client-stats.js';
import { controlRequest } from './control.js';
import { loadQuotaUsage, type QuotaLimits } from './quota.js';
import { runningPid } from '../relay/control.js';
import { readQueue, type StatusData } from './status.js';

export async function readStatus(spoolRoot: string, limits: QuotaLimits, now = Date.now()): Promise<StatusData> {
  const live = await controlRequest<StatusData>(spoolRoot, { op: 'status' });
  if (live) return live;
  const pid = (await runningPid(spoolRoot)) ?? null;
  const quota = await loadQuotaUsage(spoolRoot, limits);
  return {
    running: pid !== null,
    pid,
    source: 'spool',
    spool: spoolRoot,
    ...(await readQueue(spoolRoot, now)),
    // A relay that runs but does not answer on the socket: its upstream state is unknown here.
    upstream: pid !== null ? { state: 'ok', reason: 'relay did not answer on its control socket; upstream state unknown', until: null } : { state: 'stopped', reason: null, until: quota.blockedUntil },
    concurrency: null,
    quota,
  };
}

export interface ClientRanking {
  source: 'relay' | 'spool';
  clients: Array<{ client: string; lastSeen: string; hour: ClientCounters; day: ClientCounters }>;
}

export async function readClients(spoolRoot: string): Promise<ClientRanking> {
  const live = await controlRequest<Omit<ClientRanking, 'source'>>(spoolRoot, { op: 'clients' });
  if (live) return { source: 'relay', clients: live.clients };
  const stats = await loadClientStats(spoolRoot);
  return { source: 'spool', clients: stats.ranking() };
}
