// Shared shapes of the relay: its options (one typed object built at the CLI edge) and the
// on-disk queue record. Kept free of I/O so every module and test can import it cheaply.
import type { HostPort } from '../core/parse.js';
import type { OpsSettings } from '../ops/index.js';

export type UpstreamTls = 'starttls' | 'implicit' | 'none';

export interface RelayOptions {
  /** Addresses to listen on (port 0 = pick a free port; used by tests). */
  listen: HostPort[];
  /** Client CIDRs admitted. */
  allow: string[];
  /** Admit non-private sources that `allow` matches (dangerous). */
  allowPublicClients: boolean;
  smarthost: HostPort;
  tls: UpstreamTls;
  /** Extra trusted CA (PEM text) for the smarthost. */
  ca?: string;
  user?: string;
  /** Resolved secret; never logged. */
  password?: string;
  spool: string;
  maxConnections: number;
  maxMessageSize: number;
  maxRecipients: number;
  maxLineLength: number;
  maxHeaderSize: number;
  sessionsPerClient: number;
  /** Idle time allowed per SMTP command (ms). */
  commandTimeoutMs: number;
  /** First retry delay (ms); doubles each attempt. */
  retryBaseMs: number;
  retryMaxMs: number;
  maxQueueLifetimeMs: number;
  /** Our name in the banner, Received header and DSNs. */
  hostname: string;
  /** Messages held in memory for delivery at once (the bounded active set). */
  maxActive: number;
  /** Deferred messages indexed in memory (default DEFERRED_IN_MEMORY); tests set it small. */
  deferredInMemory?: number;
  /** How long the queue stays paused after an AUTH failure before one probe (ms). */
  authPauseMs: number;
  /** Upstream socket timeouts (ms). */
  upstreamTimeoutMs: number;
  /** Client limits, quotas, dedupe and metrics (src/ops); absent = those features off. */
  ops?: OpsSettings & { metrics?: HostPort; clock?: () => number };
}

import { DEFAULT_ALLOW } from '../config/relay-keys.js';

export { DEFAULT_ALLOW };

export function defaultRelayOptions(): RelayOptions {
  return {
    listen: [{ host: '127.0.0.1', port: 2525 }],
    allow: [...DEFAULT_ALLOW],
    allowPublicClients: false,
    smarthost: { host: 'omr.tzo.com', port: 587 },
    tls: 'starttls',
    spool: '/var/spool/omr',
    maxConnections: 5,
    maxMessageSize: 20 * 1024 * 1024,
    maxRecipients: 500,
    maxLineLength: 4096,
    maxHeaderSize: 256 * 1024,
    sessionsPerClient: 20,
    commandTimeoutMs: 5 * 60_000,
    retryBaseMs: 60_000,
    retryMaxMs: 60 * 60_000,
    maxQueueLifetimeMs: 5 * 86_400_000,
    hostname: 'localhost',
    maxActive: 200,
    authPauseMs: 15 * 60_000,
    upstreamTimeoutMs: 60_000,
  };
}

export type QueueState = 'incoming' | 'active' | 'deferred' | 'hold';
export const QUEUE_STATES: readonly QueueState[] = ['incoming', 'active', 'deferred', 'hold'];

/** pending: not tried yet; deferred: 4xx, retry; sent: accepted upstream; failed: 5xx, DSN due. */
export type RecipientStatus = 'pending' | 'deferred' | 'sent' | 'failed';

export interface RecipientRecord {
  address: string;
  status: RecipientStatus;
  lastReply?: string;
  /** DSN already queued for this failed recipient. */
  notified?: boolean;
}

/** The envelope file: everything but the body. Lives in one queue directory at a time. */
export interface QueueRecord {
  v: 1;
  id: string;
  /** '' is the null sender (bounces). */
  sender: string;
  recipients: RecipientRecord[];
  /** Body bytes on disk, Received header included. */
  size: number;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastReply?: string;
  /** LAN client address ('' for locally generated DSNs). */
  client: string;
  helo?: string;
  /** Set on DSNs: never bounce a bounce. */
  isBounce?: boolean;
  /** XXH64 (16 hex digits, relay/body-hash.ts) of the bytes the client sent (without our Received header): for dedupe. */
  bodyHash?: string;
  /**
   * The receive guard checked the body: every line ends in CRLF (no bare CR or LF), so delivery
   * only has to double leading dots. Absent on DSNs and older records: fully re-encoded.
   */
  crlf?: boolean;
  /**
   * With crlf: whether some line starts with '.' (the guard looks at every line start). false
   * lets delivery send the stored body without searching it for dots to double.
   */
  dotLines?: boolean;
}

export interface SmtpReply {
  code: number;
  text: string;
}

/**
 * Extension points for relay operations (per-client rate limits, dedupe, quotas, accounting).
 * All optional; the relay works without them.
 */
export interface RelayHooks {
  /** After the allowlist admitted a client: a reply refuses the session (e.g. 421 rate limit). */
  onConnect?(client: string): SmtpReply | undefined;
  /**
   * The message is on disk but not yet queued: a reply refuses it (use 4xx for rate limits);
   * 'duplicate' acknowledges it with 250 and drops it (dedupe).
   */
  beforeCommit?(rec: QueueRecord): Promise<SmtpReply | 'duplicate' | undefined> | SmtpReply | 'duplicate' | undefined;
  /** A message is queued (durably). */
  onQueued?(rec: QueueRecord): void;
  /** Asked before each delivery: a wait holds all sending back (e.g. hourly quota reached). */
  sendGate?(): { waitMs: number; reason: string } | undefined;
  /** After each delivery attempt. */
  onAttempt?(rec: QueueRecord, result: { step: string; rule: string; reply: string; accepted: number }): void;
}
