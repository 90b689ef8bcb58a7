// `omr simulate`: start the simulator, report session events on stderr, and return the final
// counters when SIGINT/SIGTERM (ctx.signal) or --exit-after stops it.
import type { CommandContext } from '../../cli/spec.js';
import { makeStyle } from '../../cli/style.js';
import { FailureError, UsageError } from '../../core/errors.js';
import { formatHostPort } from '../../core/parse.js';
import type { Check, CommandResult } from '../../core/result.js';
import { startSimulator, type Simulator, type SimulatorEvent } from '../../simulator/index.js';
import { isLoopback, jsonReplacer, startStatusServer, statusSnapshot, type StatusServer } from '../../simulator/status.js';
import { resolveOptions, type Resolved } from './options.js';
import { formatEvent, formatStats, type SimulateData } from './render.js';

export { render } from './render.js';

const MAX_MESSAGES_IN_RESULT = 1000;

function eventSink(ctx: CommandContext): (ev: SimulatorEvent) => void {
  if (ctx.json) return (ev) => void ctx.stderr.write(JSON.stringify({ event: 'session', ...ev }) + '\n');
  const style = makeStyle(ctx.color);
  return (ev) => ctx.note(formatEvent(ev, style));
}

async function start(ctx: CommandContext, r: Resolved): Promise<Simulator> {
  try {
    return await startSimulator({ ...r.sim, onEvent: eventSink(ctx), logger: ctx.verbose ? ctx.logger : undefined });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.syscall !== 'listen' && err.path) throw new UsageError(`--store ${r.sim.storeDir}: ${err.message}`, 'Name a directory this user can create and write.');
    if (err.code === 'EADDRINUSE') throw new FailureError(`cannot listen: ${err.message}`, 'Another program uses that port; pick another with --listen 127.0.0.1:PORT (0 = any free port).', 'EADDRINUSE');
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES') throw new UsageError(`cannot listen: ${err.message}`);
    throw e;
  }
}

function announce(ctx: CommandContext, sim: Simulator, r: Resolved, status?: StatusServer): void {
  const listen = formatHostPort({ host: sim.host, port: sim.port });
  const tls = sim.tlsPort !== undefined ? formatHostPort({ host: sim.tlsHost!, port: sim.tlsPort }) : undefined;
  if (ctx.json) {
    const ready = { event: 'listening', listen, tlsListen: tls, hostname: sim.hostname, caFile: r.caOut, status: status && formatHostPort(status), accounts: r.sim.accounts.map((a) => a.user) };
    ctx.stderr.write(JSON.stringify(ready) + '\n');
    return;
  }
  ctx.note(`omr simulate: listening on ${listen} (SMTP${r.sim.starttls === false ? '' : ' + STARTTLS'})${tls ? ` and ${tls} (implicit TLS)` : ''} as ${sim.hostname}`);
  if (r.caOut) ctx.note(`  CA certificate written to ${r.caOut}`);
  if (status) ctx.note(`  status: http://${formatHostPort(status)}/status`);
  const user = r.sim.accounts[0]?.user;
  if (user) {
    const ca = r.caOut ? ` --tls-ca-path ${r.caOut}` : '';
    ctx.note(`  try: swaks --server ${listen} --tls --tls-verify${ca} --auth PLAIN --auth-user ${user} --auth-password "$OMR_PASSWORD" --to someone@example.com`);
  }
  ctx.note('  stop with Ctrl-C; kill -USR1 ' + process.pid + ' prints the counters');
}

function waitForStop(signal: AbortSignal, exitAfterMs?: number): Promise<'signal' | 'exit-after'> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('signal');
    const timer = exitAfterMs !== undefined ? setTimeout(() => resolve('exit-after'), exitAfterMs) : undefined;
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve('signal');
    }, { once: true });
  });
}

function onUsr1(ctx: CommandContext, sim: Simulator): () => void {
  const style = makeStyle(ctx.color);
  const dump = (): void => {
    if (ctx.json) ctx.stderr.write(JSON.stringify({ event: 'stats', ...statusSnapshot(sim) }, jsonReplacer) + '\n');
    else for (const l of formatStats(sim.stats(), style)) ctx.stderr.write(l + '\n');
  };
  if (process.platform === 'win32') return () => {};
  process.on('SIGUSR1', dump);
  return () => process.off('SIGUSR1', dump);
}

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<CommandResult<SimulateData>> {
  const r = await resolveOptions(opts, ctx.env, ctx.promptSecret);
  if (!isLoopback(r.listen.host)) ctx.logger.warn('simulate.not-loopback', { listen: formatHostPort(r.listen), note: 'the simulator is reachable from other hosts' });
  if (r.status && !isLoopback(r.status.host)) throw new UsageError(`--status ${formatHostPort(r.status)}: the status endpoint only listens on loopback`);
  const sim = await start(ctx, r);
  let status: StatusServer | undefined;
  let removeUsr1 = (): void => {};
  const startedAt = Date.now();
  try {
    if (r.caOut) await sim.writeCa(r.caOut);
    if (r.status) status = await startStatusServer(sim, r.status.host, r.status.port);
    removeUsr1 = onUsr1(ctx, sim);
    announce(ctx, sim, r, status);
    const stoppedBy = await waitForStop(ctx.signal, r.exitAfterMs);
    return result(sim, r, status, stoppedBy, Date.now() - startedAt);
  } finally {
    removeUsr1();
    await status?.close();
    await sim.close();
  }
}

function result(sim: Simulator, r: Resolved, status: StatusServer | undefined, stoppedBy: 'signal' | 'exit-after', ranMs: number): CommandResult<SimulateData> {
  const stats = sim.stats();
  const all = sim.messages();
  const reasons = Object.entries(stats.rejected.byReason).map(([k, n]) => `${k} ${n}`).join(', ');
  const checks: Check[] = [
    { id: 'simulate:listen', status: 'pass', durationMs: ranMs, summary: `served SMTP on ${formatHostPort({ host: sim.host, port: sim.port })}${sim.tlsPort !== undefined ? ` and implicit TLS on ${sim.tlsPort}` : ''}, stopped by ${stoppedBy}` },
    { id: 'simulate:messages', status: 'pass', summary: `${stats.accepted} accepted, ${stats.rejected.total} refused${reasons ? ` (${reasons})` : ''}`, detail: { accepted: stats.accepted, rejected: stats.rejected } },
  ];
  const s = r.sim;
  return {
    checks,
    data: {
      listen: { host: sim.host, port: sim.port },
      tlsListen: sim.tlsPort !== undefined ? { host: sim.tlsHost!, port: sim.tlsPort } : undefined,
      hostname: sim.hostname,
      caFile: r.caOut,
      storeDir: s.storeDir,
      status: status && { host: status.host, port: status.port },
      accounts: s.accounts.map((a) => a.user),
      limits: { maxConnections: s.maxConnections, maxTotalConnections: s.maxTotalConnections ?? null, quotaHour: s.quotaHour ?? null, quotaMonth: s.quotaMonth ?? null, maxMessageSize: s.maxMessageSize ?? null, deferRate: s.deferRate ?? 0, deferAt: s.deferAt, seed: s.seed ?? null, requireTls: s.requireTls },
      stoppedBy,
      stats,
      messages: all.slice(-MAX_MESSAGES_IN_RESULT).map((m) => ({ id: m.id, mailFrom: m.envelope.mailFrom, rcptTo: m.envelope.rcptTo, user: m.user, size: m.size, tls: m.tls ? `${m.tls.protocol} ${m.tls.cipher}` : null, receivedAt: m.receivedAt, file: m.file })),
      messagesTruncated: all.length > MAX_MESSAGES_IN_RESULT,
    },
  };
}
