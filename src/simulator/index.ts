// The OMR simulator: an smtp-server on loopback that behaves like TZO's OMR smarthost (AUTH
// required, STARTTLS, per-account connection limit, quotas, size limit, random deferrals) plus
// fault injection, counters and a store of what it accepted. See docs/simulate.md.
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { silentLogger, type Logger } from '../core/logger.js';
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
  /** The server certificate (PEM) the listeners present. */
  certPem: string;
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
  // without g/y: test() on a global RegExp keeps state between calls and skips matches
  return typeof r === 'string' ? new RegExp(r, 'i') : new RegExp(r.source, r.flags.replace(/[gy]/g, ''));
}

function makeCore(opts: SimulatorOptions, store: MessageStore, servers: SMTPServer[]): Core {
  const clock = opts.clock ?? Date.now;
  const faults = new FaultBook();
  for (const f of opts.faults ?? []) faults.inject(f);
  return {
    accounts: accountMap(opts.accounts),
    acct: new Accounting(
      { maxConnections: opts.maxConnections ?? 5, maxTotalConnections: opts.maxTotalConnections ?? Infinity, quotaHour: opts.quotaHour, quotaMonth: opts.quotaMonth },
      clock,
    ),
    faults,
    store,
    random: opts.seed === undefined ? Math.random : seededRandom(opts.seed),
    deferRate: opts.deferRate ?? 0,
    deferAt: opts.deferAt ?? 'connect',
    reject: toRegExp(opts.reject),
    authOptional: opts.authOptional ?? false,
    requireTls: !insecureAuth(opts),
    clock,
    socketTimeoutMs: opts.socketTimeoutMs ?? 60_000,
    logger: opts.logger ?? silentLogger,
    onEvent: opts.onEvent,
    // smtp-server keeps its connections in a set; the socket is needed to drop one mid-DATA
    socketOf: (session: SMTPServerSession) => {
      for (const srv of servers) {
        const conns = (srv as unknown as { connections: Set<{ session: SMTPServerSession; _socket?: Socket }> }).connections;
        for (const c of conns) if (c.session?.id === session.id) return c._socket;
      }
      return undefined;
    },
  };
}

const insecureAuth = (opts: SimulatorOptions): boolean => opts.allowInsecureAuth === true || opts.requireTls === false;

function serverOptions(opts: SimulatorOptions, hostname: string, tls: { certPem: string; keyPem: string }, core: Core): SMTPServerOptions {
  const maxSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  return {
    name: hostname,
    banner: opts.banner ?? 'omr simulate (OMR stand-in)',
    size: maxSize > 0 ? maxSize : undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH is enforced in onMailFrom so that 530s are counted like every other refusal.
    authOptional: true,
    allowInsecureAuth: insecureAuth(opts),
    hideSTARTTLS: opts.starttls === false,
    key: tls.keyPem,
    cert: tls.certPem,
    disableReverseLookup: true,
    logger: false,
    socketTimeout: core.socketTimeoutMs,
    ...createHandlers(core),
  };
}

/** Start the STARTTLS listener and, if asked, the implicit-TLS one; on failure close both. */
async function listenAll(opts: SimulatorOptions, base: SMTPServerOptions, servers: SMTPServer[], logger: Logger): Promise<{ port: number; tlsPort?: number }> {
  const host = opts.host ?? '127.0.0.1';
  const make = (secure: boolean): SMTPServer => {
    const srv = new SMTPServer({ ...base, secure });
    srv.on('error', (err: Error) => logger.debug('simulator.socket-error', { error: err }));
    servers.push(srv);
    return srv;
  };
  try {
    const port = await listen(make(false), opts.port ?? 2525, host);
    const tlsPort = opts.tlsPort === undefined ? undefined : await listen(make(true), opts.tlsPort, opts.tlsHost ?? host);
    return { port, tlsPort };
  } catch (e) {
    await Promise.all(servers.map((s) => shutdown(s, 0)));
    throw e;
  }
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1';
  const hostname = opts.hostname ?? DEFAULT_HOSTNAME;
  const tls =
    opts.tlsCert && opts.tlsKey
      ? { caPem: opts.tlsCert, certPem: opts.tlsCert, keyPem: opts.tlsKey }
      : await generateTls({ hostname, extra: specificAddresses([host, opts.tlsHost]), keyType: opts.certKeyType, validDays: opts.certValidDays });
  const store = new MessageStore(opts.storeDir, opts.keepRaw ?? true);
  await store.init();
  const servers: SMTPServer[] = [];
  const core = makeCore(opts, store, servers);
  const { port, tlsPort } = await listenAll(opts, serverOptions(opts, hostname, tls, core), servers, core.logger);
  core.logger.info('simulator.listening', { host, port, tlsPort, hostname });
  const { acct, faults, logger } = core;
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    tlsPort,
    tlsHost: tlsPort === undefined ? undefined : (opts.tlsHost ?? host),
    hostname,
    caPem: tls.caPem,
    certPem: tls.certPem,
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
