// The effective settings as display strings, for `omr config check` and `omr relay status`.
import { formatHostPort, formatDuration, formatSize, type HostPort } from '../core/parse.js';
import { formatRateList, type RateLimit } from '../core/rate.js';
import { RELAY_KEYS, camel, type ConfigKey } from './relay-keys.js';
import type { Resolved } from './resolve.js';

export interface EffectiveSetting {
  key: string;
  value: string;
  origin: string;
}

function show(k: ConfigKey, v: unknown): string {
  if (v === undefined) return 'unset';
  switch (k.type) {
    case 'hostport':
      return formatHostPort(v as HostPort);
    case 'hostport-list':
      return (v as HostPort[]).map(formatHostPort).join(', ');
    case 'cidr-list':
      return (v as string[]).join(', ');
    case 'duration':
      return (v as number) === 0 ? '0 (off)' : formatDuration(v as number);
    case 'size':
      return formatSize(v as number);
    case 'rate':
      return formatRateList(v as RateLimit[]);
    default:
      return String(v);
  }
}

export function effectiveSettings(r: Resolved, env: NodeJS.ProcessEnv): EffectiveSetting[] {
  const rows: EffectiveSetting[] = RELAY_KEYS.map((k) => ({
    key: k.key,
    value: show(k, (r.config as unknown as Record<string, unknown>)[camel(k.key)]),
    origin: r.origins[k.key] ?? 'unset',
  }));
  // The password itself is never shown; only whether one is available and from where.
  const pw = r.config.passwordFile ? `from ${r.config.passwordFile}` : env.OMR_PASSWORD ? '[set in OMR_PASSWORD]' : 'unset';
  rows.push({ key: 'password', value: pw, origin: r.config.passwordFile ? r.origins['password-file']! : env.OMR_PASSWORD ? 'env' : 'unset' });
  return rows;
}
