// Parsers for option values shared by flags, env vars and the config file. Each throws a plain
// Error whose message says what is expected; callers add the flag or key name.
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export function parsePort(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`"${text}" is not a port number`);
  const n = Number(text);
  if (n < 0 || n > 65535) throw new Error(`port ${n} is out of range 0-65535`);
  return n;
}

export function parsePortList(text: string): number[] {
  const ports = text.split(',').map((p) => p.trim()).filter(Boolean).map(parsePort);
  if (ports.length === 0) throw new Error('expected a comma-separated list of ports');
  return [...new Set(ports)];
}

/** HOST, HOST:PORT, [v6], [v6]:PORT, or a bare IPv6 address (no port). */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const t = text.trim();
  if (!t) throw new Error('expected HOST[:PORT]');
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    if (isIP(bracket[1]!) !== 6) throw new Error(`"${bracket[1]}" is not an IPv6 address`);
    return withPort(bracket[1]!, bracket[2], defaultPort, t);
  }
  if (isIP(t) === 6) return withPort(t, undefined, defaultPort, t);
  const idx = t.lastIndexOf(':');
  if (idx === -1) return withPort(t, undefined, defaultPort, t);
  return withPort(t.slice(0, idx), t.slice(idx + 1), defaultPort, t);
}

function withPort(host: string, port: string | undefined, def: number | undefined, orig: string): HostPort {
  if (!/^[A-Za-z0-9._:-]+$/.test(host)) throw new Error(`"${host}" is not a valid host name or address`);
  if (port === undefined) {
    if (def === undefined) throw new Error(`"${orig}" has no port; expected HOST:PORT`);
    return { host, port: def };
  }
  return { host, port: parsePort(port) };
}

export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "10m", "1h30m", "5d", "0" -> milliseconds. A bare number means seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|min|m|h|d|w)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) throw new Error(`"${text}" is not a duration (e.g. 30s, 10m, 2h, 5d)`);
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** "25MB", "20MiB", "1048576", "512k" -> bytes (binary multiples). */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a size (e.g. 1048576, 512KiB, 25MiB)`);
  const mult: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
}

export function formatSize(bytes: number): string {
  for (const [unit, mult] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= mult && bytes % (mult / 4) === 0) return `${bytes / mult}${unit}`;
  }
  return `${bytes}`;
}

export function parsePositiveInt(text: string, min = 1): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`"${text}" is not a whole number`);
  const n = Number(text);
  if (n < min) throw new Error(`${n} is below the minimum ${min}`);
  return n;
}

export function parseProbability(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`"${text}" is not a probability between 0 and 1`);
  return n;
}
