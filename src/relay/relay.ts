// Wires the relay together: spool, scheduler, one receiver per listen address. The CLI command
// and the tests both start the relay through startRelay().
import type { AddressInfo } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import type { Logger } from '../core/logger.js';
import { formatHostPort, type HostPort } from '../core/parse.js';
import { removePid, runningPid, writePid } from './control.js';
import { ClientPolicy, SessionCounter } from './policy.js';
import { createReceiver } from './receive.js';
import { Scheduler } from './scheduler.js';
import { RelayListIndex } from './list-index/writer.js';
import { Spool } from './spool.js';
import type { RelayHooks, RelayOptions } from './types.js';
import { OPS_OFF, RelayOps } from '../ops/index.js';

export interface RunningRelay {
  addresses: HostPort[];
  spool: Spool;
  scheduler: Scheduler;
  /** Client accounting, limits, quota, dedupe, status socket and metrics (src/ops). */
  ops: RelayOps;
  /** SIGHUP: new allowlist, client limits, quotas and dedupe window; sessions stay up. */
  reload(next: RelayOptions): void;
  /** Graceful: stop accepting, let sessions finish, finish or return in-flight work. */
  stop(): Promise<void>;
}

export class RelayStartError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

export function startupWarnings(opts: RelayOptions): string[] {
  const w: string[] = [];
  if (opts.allowPublicClients)
    w.push('DANGER: --allow-public-clients is on: addresses outside private ranges that --allow admits can relay through your OMR account. An open relay gets the account suspended.');
  const pub = ClientPolicy.publicEntries(opts.allow);
  if (pub.length && !opts.allowPublicClients) w.push(`--allow ${pub.join(', ')} covers public addresses; those sources are still refused (no --allow-public-clients)`);
  if (opts.maxConnections > 5) w.push(`--max-connections ${opts.maxConnections} is above OMR's limit of 5 sessions per account; expect 421 replies`);
  if (opts.tls !== 'none' && !opts.user) w.push('no --user: mail is sent without AUTH; OMR requires an account (the queue pauses on 530)');
  if (opts.tls === 'none' && opts.user) w.push('--tls none: the smarthost connection is plaintext, so AUTH is never sent and --user is ignored');
  return w;
}

export async function startRelay(opts: RelayOptions, logger: Logger, hooks: RelayHooks = {}): Promise<RunningRelay> {
  const spool = new Spool(opts.spool);
  try {
    await spool.init();
  } catch (e) {
    throw new RelayStartError(`cannot use spool ${opts.spool}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Create it writable for this user, or choose another --spool.');
  }
  const other = await runningPid(spool.root);
  if (other !== undefined && other !== process.pid) throw new RelayStartError(`spool ${spool.root} is in use by a running relay (pid ${other})`, 'Stop the other relay, or give this one its own --spool.');
  // Before the pid file: while it says "running", `omr queue list` trusts the index.
  const listIndex = await RelayListIndex.open(spool.root, logger);
  spool.listIndex = listIndex;
  await writePid(spool.root);
  for (const w of startupWarnings(opts)) logger.warn(w);
  const ops = new RelayOps({ spool: spool.root, maxConnections: opts.maxConnections, ...(opts.ops ?? OPS_OFF), metrics: opts.ops?.metrics, clock: opts.ops?.clock }, logger);
  try {
    await ops.start();
  } catch (e) {
    await ops.close().catch(() => undefined);
    await listIndex.close().catch(() => undefined);
    await removePid(spool.root);
    throw e;
  }
  const scheduler = new Scheduler(opts, spool, logger, hooks, ops);
  ops.attachUpstream(() => {
    const s = scheduler.status();
    return { state: s.state, reason: s.reason, until: s.until, inUse: s.inFlight, connections: s.lanes, journaled: scheduler.journalStatus() };
  });
  await scheduler.start();
  const policyRef = { current: new ClientPolicy(opts.allow, opts.allowPublicClients) };
  const sessions = new SessionCounter(opts.sessionsPerClient);
  const servers: SMTPServer[] = [];
  const addresses: HostPort[] = [];
  try {
    for (const l of opts.listen) {
      const server = createReceiver({ opts, spool, logger, sessions, hooks, ops, policyRef, onQueued: (m) => scheduler.enqueue(m.record.id, m) });
      await listen(server, l);
      servers.push(server);
      const a = server.server.address() as AddressInfo;
      addresses.push({ host: a.address, port: a.port });
    }
  } catch (e) {
    await Promise.all(servers.map(closeServer));
    await scheduler.stop(1000);
    await ops.close();
    await listIndex.close();
    await removePid(spool.root);
    throw e;
  }
  logger.info('relay listening', {
    listen: addresses.map(formatHostPort).join(','), smarthost: formatHostPort(opts.smarthost), tls: opts.tls, spool: spool.root, maxConnections: opts.maxConnections,
  });
  let stopped: Promise<void> | undefined;
  return {
    addresses,
    spool,
    scheduler,
    ops,
    reload(next) {
      policyRef.current = new ClientPolicy(next.allow, next.allowPublicClients);
      ops.reload(next.ops ?? OPS_OFF);
      logger.info('allowlist reloaded', { allow: next.allow.join(','), allowPublicClients: next.allowPublicClients });
    },
    stop: () =>
      (stopped ??= (async () => {
        logger.info('relay stopping: no new sessions, finishing in-flight work');
        await Promise.all(servers.map(closeServer));
        await scheduler.stop();
        await ops.close();
        await listIndex.close();
        await removePid(spool.root);
        logger.info('relay stopped', { ...(await spool.counts()) });
      })()),
  };
}

function listen(server: SMTPServer, at: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const onErr = (e: Error): void => reject(e);
    server.server.once('error', onErr);
    server.listen(at.port, at.host, () => {
      server.server.off('error', onErr);
      resolve();
    });
  });
}

function closeServer(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
