// Shared by the relay operations commands: which spool and quota limits to use (flag > env >
// config file > default, like `omr relay start`).
import type { CommandContext } from '../../cli/spec.js';
import { resolveRelayConfig } from '../../config/resolve.js';
import type { RelayConfig } from '../../config/relay-keys.js';

export function relaySettings(ctx: CommandContext, opts: Record<string, unknown>): RelayConfig {
  return resolveRelayConfig({ flags: opts, flagGiven: ctx.given, env: ctx.env, file: opts.config as string | undefined }).config;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) return `in ${until(-s)}`;
  return `${until(s)} ago`;
}

export function until(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
