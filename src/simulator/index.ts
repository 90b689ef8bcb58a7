// The OMR simulator: an smtp-server on loopback that behaves like TZO's OMR smarthost (AUTH
// required, STARTTLS, per-account connection limit, quotas, size limit, random deferrals) plus
// fault injection, counters and a store of what it accepted. See docs/simulate.md.
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { silentLogger } from '../core/logger.js';
import { Accounting } from './accounting.js';
import { generateTls, specificAddresses } from './certs.js';
import { FaultBook } from './faults.js';
import { accountMap, createHandlers, type Core } from './handlers.js';
import { seededRandom } from './rng.js';
import { MessageStore } from './store.js';
import type { Fault, SimulatorOptions, SimulatorStats, StoredMessage } from './types.js';

export * from './types.js';
export { REPLIES } from './replies.js';

export const DEFAULT_HOSTNAME = 'omr.simulator.test';
export const DEFAULT_MAX_MESSAGE_SIZE = 20 * 1024 * 1024;

export interface Simulator {
  host: string;
  port: number;
  tlsPort?: number;
  tlsHost?: string;
  hostname: string;
  /** The CA that signed the server certificate (the certificate itself with --tls-cert). */
  caPem: string;
  writeCa(path: string): Promise<void>;
  stats(): SimulatorStats;
  messages(): StoredMessage[];
  waitForMessages(n: number, timeoutMs: number): Promise<StoredMessage[]>;
  inject(fault: Fault): void;
  clearFaults(): void;
  pendingFaults(): Array<Fault & { left: number }>;
  setQuota(q: { hour?: number; month?: number }): void;
  setMaxConnections(n: number): void;
  /** Zero counters, quota usage and the in-memory message list (live sessions stay counted). */
  resetCounters(): void;
  close(): Promise<void>;
}

function listen(server: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.server.once('error', onError);
    server.listen(port, host, () => {
      server.server.removeListener('error', onError);
      const addr = server.server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** Stop accepting, tell open sessions 421 and give them a moment, then cut them. */
function shutdown(server: SMTPServer, graceMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const conns = (server as unknown as { connections: Set<{ send(c: number, t: string): void; close(): void; _socket?: Socket }> }).connections;
    for (const c of conns) {
      try {
        c.send(421, '4.3.2 Server shutting down');
        c.close();
      } catch {
        /* already gone */
      }
    }
    const timer = setTimeout(() => {
      for (const c of conns) c._socket?.destroy();
    }, graceMs);
    server.server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if (!server.server.listening) {
      clearTimeout(timer);
      resolve();
    }
  });
}

function toRegExp(r: RegExp | string | undefined): RegExp | undefined {
  if (r === undefined || r === '') return undefined;
  return typeof r === 'string' ? new RegExp(r, 'i') : r;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1';
  const hostname = opts.hostname ?? DEFAULT_HOSTNAME;
  const clock = opts.clock ?? Date.now;
  const logger = opts.logger ?? silentLogger;
  const tls = opts.tlsCert && opts.tlsKey ? { caPem: opts.tlsCert, certPem: opts.tlsCert, keyPem: opts.tlsKey } : await generateTls(hostname, specificAddresses([host, opts.tlsHost]), opts.certKeyType);
  const store = new MessageStore(opts.storeDir, opts.keepRaw ?? true);
  await store.init();
  const acct = new Accounting(
    { maxConnections: opts.maxConnections ?? 5, maxTotalConnections: opts.maxTotalConnections ?? Infinity, quotaHour: opts.quotaHour, quotaMonth: opts.quotaMonth },
    clock,
  );
  const faults = new FaultBook();
  for (const f of opts.faults ?? []) faults.inject(f);
  const servers: SMTPServer[] = [];
  const core: Core = {
    accounts: accountMap(opts.accounts),
    acct,
    faults,
    store,
    random: opts.seed === undefined ? Math.random : seededRandom(opts.seed),
    deferRate: opts.deferRate ?? 0,
    deferAt: opts.deferAt ?? 'connect',
    reject: toRegExp(opts.reject),
    authOptional: opts.authOptional ?? false,
    clock,
    logger,
    onEvent: opts.onEvent,
    socketOf: (session: SMTPServerSession) => {
      for (const srv of servers) {
        const conns = (srv as unknown as { connections: Set<{ session: SMTPServerSession; _socket?: Socket }> }).connections;
        for (const c of conns) if (c.session?.id === session.id) return c._socket;
      }
      return undefined;
    },
  };
  const handlers = createHandlers(core);
  const maxSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const insecureAuth = opts.allowInsecureAuth === true || opts.requireTls === false;
  const base: SMTPServerOptions = {
    name: hostname,
    banner: 'ESMTP omr simulate (OMR stand-in)',
    size: maxSize > 0 ? maxSize : undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH is enforced in onMailFrom so that 530s are counted like every other refusal.
    authOptional: true,
    allowInsecureAuth: insecureAuth,
    hideSTARTTLS: opts.starttls === false,
    key: tls.keyPem,
    cert: tls.certPem,
    disableReverseLookup: true,
    logger: false,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    ...handlers,
  };
  const plain = new SMTPServer({ ...base, secure: false });
  servers.push(plain);
  const closers: SMTPServer[] = [plain];
  let port: number;
  let tlsPort: number | undefined;
  try {
    port = await listen(plain, opts.port ?? 2525, host);
    if (opts.tlsPort !== undefined) {
      const implicit = new SMTPServer({ ...base, secure: true });
      servers.push(implicit);
      closers.push(implicit);
      tlsPort = await listen(implicit, opts.tlsPort, opts.tlsHost ?? host);
    }
  } catch (e) {
    await Promise.all(closers.map((s) => shutdown(s, 0)));
    throw e;
  }
  for (const s of servers) s.on('error', (err: Error) => logger.debug('simulator.socket-error', { error: err }));
  logger.info('simulator.listening', { host, port, tlsPort, hostname });

  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    tlsPort,
    tlsHost: tlsPort === undefined ? undefined : (opts.tlsHost ?? host),
    hostname,
    caPem: tls.caPem,
    writeCa: (path) => writeFile(path, tls.caPem, { mode: 0o644 }),
    stats: () => acct.stats(),
    messages: () => store.all(),
    waitForMessages: (n, timeoutMs) => store.waitFor(n, timeoutMs),
    inject: (f) => faults.inject(f),
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending(),
    setQuota: (q) => {
      if ('hour' in q) acct.limits.quotaHour = q.hour;
      if ('month' in q) acct.limits.quotaMonth = q.month;
    },
    setMaxConnections: (n) => {
      acct.limits.maxConnections = n;
    },
    resetCounters: () => {
      acct.reset();
      store.clear();
    },
    close: () => (closed ??= Promise.all(servers.map((s) => shutdown(s))).then(() => logger.info('simulator.closed', {}))),
  };
}
