// Public types of the OMR simulator: options, counters, stored messages, faults and events.
import type { Logger } from '../core/logger.js';

export interface Account {
  user: string;
  password: string;
}

/** Where a random deferral (deferRate) hits: new connections (greeting) or each MAIL. */
export type DeferStage = 'connect' | 'mail';

/** Stages whose reply can be delayed by a `delayReply` fault. */
export type ReplyStage = 'greeting' | 'auth' | 'mail' | 'rcpt' | 'data';

export interface SimulatorOptions {
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** Plain (STARTTLS) port, default 2525; 0 = any free port. */
  port?: number;
  /** Optional implicit-TLS listener (0 = any free port). */
  tlsPort?: number;
  /** Address of the implicit-TLS listener; default `host`. */
  tlsHost?: string;
  /** Text after "<hostname> ESMTP" in the greeting; default "omr simulate (OMR stand-in)". */
  banner?: string;
  /** EHLO/greeting name and an extra certificate SAN; default "omr.simulator.test". */
  hostname?: string;
  /** AUTH PLAIN/LOGIN is required before MAIL. */
  accounts: Account[];
  /** Simultaneous authenticated sessions per account (default 5); the next gets 421 at AUTH. */
  maxConnections?: number;
  /** Simultaneous TCP connections in total, checked at connect (421 instead of the greeting). Default unlimited. */
  maxTotalConnections?: number;
  /** Messages per account in any sliding 60-minute window; beyond -> 421 4.7.0 at MAIL. */
  quotaHour?: number;
  /** Messages per account per calendar month (UTC); beyond -> 421 4.7.0 at MAIL. */
  quotaMonth?: number;
  /** Bytes; advertised in EHLO SIZE, larger messages get 552. Default 20 MiB; 0 = no limit. */
  maxMessageSize?: number;
  /** Probability (0..1) of a random "421 4.3.2 try again later". */
  deferRate?: number;
  /** Where deferRate applies (default 'connect', like OMR deferring connections under load). */
  deferAt?: DeferStage;
  /** Seed for the deferRate generator (reproducible runs). */
  seed?: number;
  /** Recipients matching get 550 5.1.1 at RCPT. A string is a case-insensitive regular expression. */
  reject?: RegExp | string;
  /** AUTH before STARTTLS gets 538 (default true). */
  requireTls?: boolean;
  /** Allow AUTH on a plaintext connection (for tests of plaintext smarthosts); implies requireTls false. */
  allowInsecureAuth?: boolean;
  /** Offer STARTTLS on the plain port (default true); false for a plaintext-only smarthost. */
  starttls?: boolean;
  /** Accept MAIL without AUTH (default false; for `--tls none` relays, which never send AUTH). */
  authOptional?: boolean;
  /** Write each accepted message here: <id>.eml (exact bytes) and <id>.json (envelope, TLS, auth). */
  storeDir?: string;
  /** Keep message bytes in memory (messages()[i].raw); default true. */
  keepRaw?: boolean;
  /** PEM certificate and key; otherwise a generated CA and server certificate are used. */
  tlsCert?: string;
  tlsKey?: string;
  /** Key type of the generated certificates: 'ec' (P-256, default, fast) or 'rsa' (2048, for old clients). */
  certKeyType?: 'ec' | 'rsa';
  /** Lifetime of the generated server certificate in days (default 365; e.g. 5 to rehearse an expiring one, 0 for expired). */
  certValidDays?: number;
  /** Idle timeout per session in ms (default 60000). */
  socketTimeoutMs?: number;
  logger?: Logger;
  /** Called for every session event (the CLI prints them). */
  onEvent?: (event: SimulatorEvent) => void;
  /** Injectable time source (ms since epoch) for quota windows. */
  clock?: () => number;
  /** Faults active from the start. */
  faults?: Fault[];
}

export type Fault =
  | { kind: 'greeting421'; count?: number }
  | { kind: 'mail421'; count?: number }
  | { kind: 'rcpt4xx'; count?: number }
  | { kind: 'data421'; count?: number }
  | { kind: 'data5xx'; count?: number }
  | { kind: 'dropMidData'; count?: number }
  | { kind: 'delayReply'; stage: ReplyStage; ms: number; count?: number }
  | { kind: 'authFail'; count?: number }
  /** The next connections do not see STARTTLS in EHLO, as behind a middlebox that strips it. */
  | { kind: 'stripStarttls'; count?: number };

export type FaultKind = Fault['kind'];

export interface ConnectionStats {
  current: number;
  peak: number;
  total: number;
  currentPerAccount: Record<string, number>;
  peakPerAccount: Record<string, number>;
}

export interface SimulatorStats {
  connections: ConnectionStats;
  /** Sessions that authenticated successfully. */
  sessions: number;
  accepted: number;
  acceptedBytes: number;
  acceptedPerAccount: Record<string, number>;
  rejected: { total: number; byReason: Record<string, number> };
  faultsFired: Record<string, number>;
  quota: Record<string, { hour: number; month: number }>;
}

export interface StoredMessage {
  id: string;
  envelope: { mailFrom: string; rcptTo: string[] };
  user: string;
  tls: { protocol: string; cipher: string } | null;
  size: number;
  raw?: Buffer;
  receivedAt: string;
  /** Files under storeDir, when storing. */
  file?: string;
  metaFile?: string;
  remoteAddress: string;
}

export type SimulatorEventType = 'connect' | 'tls' | 'auth' | 'mail' | 'rcpt' | 'accepted' | 'rejected' | 'fault' | 'close';

export interface SimulatorEvent {
  time: string;
  type: SimulatorEventType;
  session: string;
  remote?: string;
  user?: string;
  /** Reply code sent, where the event is a reply. */
  code?: number;
  reply?: string;
  /** Stable reason for rejections: see REJECT_REASONS. */
  reason?: string;
  detail?: Record<string, unknown>;
}
