// The relay's settings, declared once. This table drives the config file schema, the
// `omr relay start` flags (--<key>), the OMR_<KEY> environment variables, `omr config check`
// and the omr.conf(5) man page.
import { hostname as osHostname } from 'node:os';
import { parseDuration, parseHostPort, parseSize, parsePositiveInt, type HostPort } from '../core/parse.js';
import { parseRateList, type RateLimit } from '../core/rate.js';
import { normaliseCidr } from '../core/address.js';

export type KeyType = 'string' | 'path' | 'int' | 'bool' | 'size' | 'duration' | 'hostport' | 'hostport-list' | 'cidr-list' | 'enum' | 'rate';

export interface ConfigKey {
  key: string;
  type: KeyType;
  description: string;
  /** Parsed default; undefined means "not set". */
  default?: unknown;
  defaultText?: string;
  choices?: readonly string[];
  /** Default port for hostport types. */
  defaultPort?: number;
  min?: number;
  /** Shown as <name> in --help. */
  valueName?: string;
}

export const DEFAULT_ALLOW = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '::1/128', 'fc00::/7', 'fe80::/10'];

export const RELAY_KEYS: readonly ConfigKey[] = [
  { key: 'listen', type: 'hostport-list', defaultPort: 25, default: [{ host: '0.0.0.0', port: 25 }], defaultText: '0.0.0.0:25', valueName: 'addr:port', description: 'Address and port to accept LAN mail on (repeatable). Only --allow networks get past the greeting.' },
  { key: 'allow', type: 'cidr-list', default: DEFAULT_ALLOW, defaultText: 'RFC 1918, loopback, IPv6 ULA and link-local', valueName: 'cidr', description: 'Client networks allowed to relay (repeatable). Others get 554 5.7.1 at connect.' },
  { key: 'allow-public-clients', type: 'bool', default: false, description: 'DANGEROUS: admit public source addresses that --allow matches. Without it a public address is refused even when --allow admits it.' },
  { key: 'smarthost', type: 'hostport', defaultPort: 587, default: { host: 'omr.tzo.com', port: 587 }, defaultText: 'omr.tzo.com:587', valueName: 'host[:port]', description: 'The upstream smarthost all mail is forwarded to.' },
  { key: 'tls', type: 'enum', choices: ['starttls', 'implicit', 'none'], defaultText: 'starttls (implicit on port 465)', valueName: 'mode', description: 'TLS to the smarthost. Certificates are always verified; with none, AUTH is never sent.' },
  { key: 'ca', type: 'path', valueName: 'file', description: 'Extra CA certificate (PEM) trusted for the smarthost, e.g. the one `omr simulate --ca-out` writes.' },
  { key: 'user', type: 'string', valueName: 'user', description: 'Smarthost account name. The password comes from OMR_PASSWORD or --password-file.' },
  { key: 'password-file', type: 'path', valueName: 'file', description: 'File whose first line is the smarthost password; must not be readable by group or others.' },
  { key: 'spool', type: 'path', default: '/var/spool/omr', valueName: 'dir', description: 'Queue directory, created with mode 0700 if missing.' },
  { key: 'max-connections', type: 'int', min: 1, default: 5, valueName: 'n', description: 'Upstream SMTP sessions at most, idle pooled ones included (OMR allows 5 per account).' },
  { key: 'max-message-size', type: 'size', default: 20 * 1024 * 1024, defaultText: '20MiB', valueName: 'bytes', description: 'Largest message accepted (advertised in EHLO SIZE; 552 beyond).' },
  { key: 'max-recipients', type: 'int', min: 100, default: 500, valueName: 'n', description: 'Recipients per message (RFC 5321 requires at least 100); 452 beyond.' },
  { key: 'max-line-length', type: 'int', min: 998, default: 8192, valueName: 'bytes', description: 'Longest line accepted in a message (RFC 5322 allows 998; more is tolerated, never unbounded).' },
  { key: 'max-header-size', type: 'size', default: 256 * 1024, defaultText: '256KiB', valueName: 'bytes', description: 'Largest header section accepted.' },
  { key: 'sessions-per-client', type: 'int', min: 1, default: 20, valueName: 'n', description: 'Simultaneous SMTP sessions from one LAN address (421 beyond).' },
  { key: 'command-timeout', type: 'duration', default: 300_000, defaultText: '5m', valueName: 'duration', description: 'Idle time allowed between client commands before the session is closed.' },
  { key: 'retry-first', type: 'duration', default: 60_000, defaultText: '1m', valueName: 'duration', description: 'First retry delay after a temporary failure; doubles each attempt, with jitter.' },
  { key: 'retry-max', type: 'duration', default: 3_600_000, defaultText: '1h', valueName: 'duration', description: 'Longest retry delay.' },
  { key: 'max-queue-lifetime', type: 'duration', default: 5 * 86_400_000, defaultText: '5d', valueName: 'duration', description: 'How long a message may stay queued before it is bounced to its sender.' },
  { key: 'hostname', type: 'string', defaultText: 'this host name', valueName: 'fqdn', description: 'Name used in the relay greeting, EHLO to the smarthost, Received headers and bounces.' },
  { key: 'log-format', type: 'enum', choices: ['text', 'json'], default: 'text', valueName: 'format', description: 'Log lines as text or as JSON lines (stderr).' },
  { key: 'metrics', type: 'hostport', valueName: 'addr:port', description: 'Serve /healthz and Prometheus /metrics on this loopback address (off by default).' },
  { key: 'quota-hour', type: 'int', min: 1, valueName: 'n', description: 'Send at most N messages an hour upstream (set just below the OMR account quota).' },
  { key: 'quota-month', type: 'int', min: 1, valueName: 'n', description: 'Send at most N messages a calendar month upstream.' },
  { key: 'client-rate', type: 'rate', default: parseRateList('60/min,600/hour'), defaultText: '60/min,600/hour', valueName: 'limits', description: 'Messages per LAN client, e.g. 60/min,600/hour; over it the client gets 4xx (off disables).' },
  { key: 'client-recipient-rate', type: 'rate', default: parseRateList('600/min,3000/hour'), defaultText: '600/min,3000/hour', valueName: 'limits', description: 'Recipients per LAN client, counted at RCPT TO; over it the client gets 452 and retries the rest later (off disables).' },
  { key: 'dedupe-window', type: 'duration', default: 600_000, defaultText: '10m', valueName: 'duration', description: 'Acknowledge but do not deliver again a message resent within this window (0 turns it off).' },
];

export function envName(key: string): string {
  return 'OMR_' + key.toUpperCase().replace(/-/g, '_');
}

export function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The resolved relay settings, camelCase. */
export interface RelayConfig {
  listen: HostPort[];
  allow: string[];
  allowPublicClients: boolean;
  smarthost: HostPort;
  tls: 'starttls' | 'implicit' | 'none';
  ca?: string;
  user?: string;
  passwordFile?: string;
  spool: string;
  maxConnections: number;
  maxMessageSize: number;
  maxRecipients: number;
  maxLineLength: number;
  maxHeaderSize: number;
  sessionsPerClient: number;
  commandTimeout: number;
  retryFirst: number;
  retryMax: number;
  maxQueueLifetime: number;
  hostname: string;
  logFormat: 'text' | 'json';
  metrics?: HostPort;
  quotaHour?: number;
  quotaMonth?: number;
  clientRate: RateLimit[];
  clientRecipientRate: RateLimit[];
  dedupeWindow: number;
}

/** Canonical CIDR text for an --allow entry (a bare address is a /32 or /128 host). */
export function parseCidr(text: string): string {
  try {
    return normaliseCidr(text);
  } catch {
    throw new Error(`"${text.trim()}" is not a network in CIDR form (e.g. 192.168.1.0/24 or fd00::/8)`);
  }
}

function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  throw new Error(`"${text}" is not a boolean (true/false)`);
}

/** Parses one textual value (a flag argument, an env var, a list item) for a key. */
export function parseKeyText(k: ConfigKey, text: string): unknown {
  switch (k.type) {
    case 'string':
    case 'path':
      if (text.trim() === '') throw new Error('must not be empty');
      return text;
    case 'int':
      return parsePositiveInt(text, k.min ?? 0);
    case 'bool':
      return parseBool(text);
    case 'size':
      return parseSize(text);
    case 'duration':
      return parseDuration(text);
    case 'hostport':
      return parseHostPort(text, k.defaultPort);
    case 'hostport-list':
      return parseHostPort(text, k.defaultPort);
    case 'cidr-list':
      return parseCidr(text);
    case 'enum':
      if (!k.choices!.includes(text)) throw new Error(`"${text}" is not one of ${k.choices!.join(', ')}`);
      return text;
    case 'rate':
      return parseRateList(text);
  }
}

export function isListKey(k: ConfigKey): boolean {
  return k.type === 'hostport-list' || k.type === 'cidr-list';
}

export function relayKey(key: string): ConfigKey {
  const k = RELAY_KEYS.find((x) => x.key === key);
  if (!k) throw new Error(`unknown relay key ${key}`);
  return k;
}

export function defaultHostname(): string {
  return osHostname() || 'localhost';
}
