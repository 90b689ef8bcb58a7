// The probe's vocabulary: phases, options and per-port reports.
import type { CheckStatus } from '../core/result.js';
import type { Capabilities, CapabilityChange } from './ehlo.js';
import type { ConnectClass } from './errors.js';
import type { SmtpReply } from './reply.js';
import type { TranscriptEvent } from './smtp-session.js';
import type { TlsFacts } from './tls-facts.js';

/** Phases the user can stop after (`--stop-after`), in order. */
export const STOP_PHASES = ['connect', 'banner', 'ehlo', 'tls', 'auth', 'mail', 'rcpt', 'data'] as const;
export type StopPhase = (typeof STOP_PHASES)[number];

/** Phases that become checks `<phase>:<port>`. */
export type PhaseId = 'tcp' | 'banner' | 'ehlo' | 'starttls' | 'tls' | 'auth' | 'mail' | 'rcpt' | 'data';

export type TlsMode = 'auto' | 'starttls' | 'implicit' | 'none';
/** What a port actually does once `auto` is resolved. */
export type PortTlsMode = 'starttls' | 'implicit' | 'none';

export function phaseRank(p: StopPhase): number {
  return STOP_PHASES.indexOf(p);
}

/** `auto`: 465 is implicit TLS (RFC 8314), every other port STARTTLS. */
export function portTlsMode(mode: TlsMode, port: number): PortTlsMode {
  if (mode === 'auto') return port === 465 ? 'implicit' : 'starttls';
  return mode;
}

export interface ProbeOptions {
  host: string;
  /** Addresses to try in order (from DNS); defaults to host. */
  addresses?: string[];
  port: number;
  tls: PortTlsMode;
  /** Per-phase timeout in ms. */
  timeoutMs: number;
  /** Last phase to run. */
  stopAfter: StopPhase;
  /** Extra trusted CA (PEM). */
  ca?: string;
  user?: string;
  password?: string;
  /** Force one AUTH mechanism (what the admin's mail program uses); default PLAIN, else LOGIN. */
  authMech?: 'PLAIN' | 'LOGIN';
  from?: string;
  to?: string;
  expectBanner?: RegExp;
  /** Name sent in EHLO; default: this machine's FQDN, else its address literal ("[192.0.2.1]"). */
  ehloName?: string;
  onTranscript?: (e: TranscriptEvent) => void;
  signal?: AbortSignal;
  /** Injected clock for certificate expiry maths. */
  now?: () => Date;
}

export interface PhaseOutcome {
  phase: PhaseId;
  status: CheckStatus;
  durationMs?: number;
  summary: string;
  detail?: Record<string, unknown>;
  hint?: string;
}

/** A 4xx/5xx the server gave, and where. */
export interface Rejection {
  phase: PhaseId;
  reply: SmtpReply;
}

export interface PortReport {
  port: number;
  mode: PortTlsMode;
  phases: PhaseOutcome[];
  /** Every phase asked for passed (or warned). */
  completed: boolean;
  /** First phase that failed. */
  failedPhase?: PhaseId;
  address?: string;
  connect?: ConnectClass;
  banner?: SmtpReply;
  greetingMs?: number;
  capabilities?: Capabilities;
  capabilitiesAfterTls?: Capabilities;
  capabilityChange?: CapabilityChange;
  tls?: TlsFacts;
  rejection?: Rejection;
  /** AUTH was offered without TLS and we declined to send credentials. */
  refusedPlaintextAuth?: boolean;
  authMechanism?: string;
  dataAckMs?: number;
  queueId?: string;
}
