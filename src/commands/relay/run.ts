// `omr relay start`: resolve settings, start the relay (and the simulator with --demo), run
// until ctx.signal, stop gracefully, return a summary envelope.
import { relative } from 'node:path';
import type { CommandContext } from '../../cli/spec.js';
import { resolveRelayConfig } from '../../config/resolve.js';
import { FailureError } from '../../core/errors.js';
import { formatHostPort } from '../../core/parse.js';
import type { CommandResult } from '../../core/result.js';
import { requirePassword } from '../../core/secrets.js';
import { toRelayOptions } from '../../relay/config.js';
import { demoInstructions, startDemo, type Demo } from '../../relay/demo.js';
import { RelayStartError, startRelay, type RunningRelay } from '../../relay/relay.js';
import type { RelayOptions } from '../../relay/types.js';

export { render } from './render.js';

export interface RelayStartData {
  listen: string[];
  smarthost: string;
  spool: string;
  demo: boolean;
  /** Queue counts at shutdown. */
  queued: Record<'incoming' | 'active' | 'deferred' | 'hold', number>;
}

// Config warnings that startRelay() states itself (more loudly), so they are not logged twice.
const OWN_WARNINGS = new Set(['allow-public-clients', 'max-connections', 'tls', 'allow']);

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<CommandResult<RelayStartData>> {
  const demo = Boolean(opts.demo);
  const resolved = resolveRelayConfig({ flags: opts, flagGiven: (n) => ctx.given(n), env: ctx.env, file: opts.config as string | undefined });
  const cfg = resolved.config;
  const logger = ctx.makeLogger(cfg.logFormat);
  for (const w of resolved.warnings) if (!OWN_WARNINGS.has(w.key)) logger.warn(`config: ${w.key}: ${w.message}`, { line: w.line });
  let password: string | undefined;
  if (!demo && cfg.user && cfg.tls !== 'none')
    password = await requirePassword({ passwordFile: cfg.passwordFile, env: ctx.env, prompt: ctx.promptSecret, user: cfg.user });
  const relayOpts = toRelayOptions(cfg, password);
  let demoHandle: Demo | undefined;
  if (demo) demoHandle = await startDemo(relayOpts, logger, { listenGiven: resolved.origins.listen !== 'default', spoolGiven: resolved.origins.spool !== 'default' });
  let relay: RunningRelay;
  try {
    // Rate limits, quotas, dedupe, accounting and metrics come from relayOpts.ops (src/ops).
    relay = await listenWithFallback(relayOpts, demo && resolved.origins.listen === 'default', logger);
  } catch (e) {
    await demoHandle?.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof RelayStartError) throw new FailureError(e.message, e.hint, 'ESPOOL');
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new FailureError(`cannot listen: ${(e as Error).message}`, code === 'EACCES' ? 'Ports below 1024 need root or CAP_NET_BIND_SERVICE.' : 'Choose another --listen address.', code);
    throw e;
  }
  ctx.onReload(() => {
    // SIGHUP: re-read file and environment (flags keep precedence); listeners and sessions stay up.
    try {
      const next = resolveRelayConfig({ flags: opts, flagGiven: (n) => ctx.given(n), env: ctx.env, file: opts.config as string | undefined }).config;
      relay.reload(toRelayOptions(next, password));
    } catch (e) {
      logger.error('reload failed; keeping the previous settings', { error: e });
    }
  });
  const listen = relay.addresses.map(formatHostPort);
  ctx.note(`omr relay: listening on ${listen.join(', ')}; smarthost ${formatHostPort(relayOpts.smarthost)} (${relayOpts.tls}); spool ${relayOpts.spool}`);
  if (demo) for (const line of demoInstructions(relay.addresses[0]!, relative(process.cwd(), relayOpts.spool) || relayOpts.spool)) ctx.note(line);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await relay.stop();
  await demoHandle?.close();
  const queued = await relay.spool.counts();
  const total = queued.incoming + queued.deferred + queued.active + queued.hold;
  return {
    checks: [{ id: 'relay', status: 'pass', summary: `stopped cleanly; ${total} message(s) remain queued in ${relayOpts.spool}` }],
    data: { listen, smarthost: formatHostPort(relayOpts.smarthost), spool: relayOpts.spool, demo, queued },
  };
}

/** --demo without --listen: 127.0.0.1:2525, or any free port when that one is taken. */
async function listenWithFallback(opts: RelayOptions, fallback: boolean, logger: CommandContext['logger']): Promise<RunningRelay> {
  try {
    return await startRelay(opts, logger);
  } catch (e) {
    if (!fallback || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    logger.info('demo: 127.0.0.1:2525 is taken, using a free port');
    opts.listen = [{ host: '127.0.0.1', port: 0 }];
    return startRelay(opts, logger);
  }
}
