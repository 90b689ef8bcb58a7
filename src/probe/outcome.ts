// Shared state of one port probe and the translation of session errors into check outcomes.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { SmtpSessionError } from './errors.js';
import { formatReply, type SmtpReply } from './reply.js';
import type { SmtpSession } from './smtp-session.js';
import type { PhaseId, PhaseOutcome, PortReport, ProbeOptions } from './types.js';

export interface ProbeState {
  opts: ProbeOptions;
  session?: SmtpSession;
  report: PortReport;
}

/** A phase's work: returns its outcome (duration is added by the runner). */
export type PhaseFn = (st: ProbeState) => Promise<PhaseOutcome>;

export function secs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The session of a phase that needs one (the runner guarantees it after tcp). */
export function sessionOf(st: ProbeState): SmtpSession {
  if (!st.session) throw new Error('probe phase run without a session');
  return st.session;
}

/** RFC 5321 4.1.4: a FQDN, or an address literal when the machine has none. */
export function ehloName(st: ProbeState): string {
  if (st.opts.ehloName) return st.opts.ehloName;
  const h = hostname();
  if (h.includes('.') && /^[A-Za-z0-9.-]+$/.test(h)) return h;
  const a = st.session?.localAddress ?? '127.0.0.1';
  return isIP(a) === 6 ? `[IPv6:${a}]` : `[${a.replace(/^::ffff:/, '')}]`;
}

/** Outcome for a reply that was not the one hoped for; records the first rejection. */
export function rejected(st: ProbeState, phase: PhaseId, reply: SmtpReply, what: string, hint?: string): PhaseOutcome {
  if (!st.report.rejection && reply.code >= 400) st.report.rejection = { phase, reply };
  return {
    phase,
    status: 'fail',
    summary: `${what}: ${formatReply(reply)}`,
    detail: { code: reply.code, reply: reply.raw },
    hint: hint ?? hintForCode(reply),
  };
}

/** Generic advice by reply class; phase functions pass a better one where they can. */
export function hintForCode(reply: SmtpReply): string | undefined {
  if (reply.code === 421) return 'The server is busy or limits you (connections or quota); it is temporary: try again in a few minutes. See the diagnosis checks.';
  if (reply.code >= 400 && reply.code < 500) return 'A temporary refusal: a well-behaved mail server retries later on its own.';
  if (reply.code >= 500) return 'A permanent refusal: retrying will not help until the cause in the server\'s text is fixed.';
  return undefined;
}

/** Converts a thrown error into a failed outcome with plain-language summary and hint. */
export function errorOutcome(st: ProbeState, phase: PhaseId, err: unknown): PhaseOutcome {
  const t = secs(st.opts.timeoutMs);
  if (!(err instanceof SmtpSessionError)) {
    return { phase, status: 'fail', summary: `internal error: ${(err as Error).message ?? String(err)}` };
  }
  switch (err.code) {
    case 'ETIMEDOUT':
      return { phase, status: 'fail', summary: `no answer within ${t} (${err.message})`, detail: { error: 'timeout', timeoutMs: st.opts.timeoutMs }, hint: `Raise --timeout if the server is merely slow; otherwise something on the path holds the connection.` };
    case 'ECLOSED':
      return { phase, status: 'fail', summary: 'the server closed the connection', detail: { error: 'closed' }, hint: 'The server or a firewall dropped the session; run with --transcript to see the last exchange.' };
    case 'EPROTOCOL':
      return { phase, status: 'fail', summary: `not an SMTP server: ${err.message}`, detail: { error: 'protocol' }, hint: 'Another service answers on this port, or a proxy mangles the conversation.' };
    case 'ETLS':
      return { phase, status: 'fail', summary: err.message, detail: { error: 'tls' } };
    case 'EABORTED':
      return { phase, status: 'fail', summary: 'interrupted', detail: { error: 'aborted' } };
    default:
      return { phase, status: 'fail', summary: err.message, detail: { error: err.errno ?? err.code } };
  }
}
