// Runs the phases for one port in order, timing each, stopping at the first failure or at
// --stop-after. The phase list depends on the TLS mode:
//   starttls: tcp banner ehlo starttls tls(+EHLO again) auth mail rcpt data
//   implicit: tcp tls banner ehlo auth mail rcpt data
//   none:     tcp banner ehlo [auth refused] mail rcpt data
import { errorOutcome, type PhaseFn, type ProbeState } from './outcome.js';
import { bannerPhase, ehloPhase, tcpPhase } from './phase-connect.js';
import { authPhase, dataPhase, mailPhase, rcptPhase } from './phase-mail.js';
import { starttlsPhase, tlsPhase } from './phase-tls.js';
import type { SmtpSession } from './smtp-session.js';
import { phaseRank, type PhaseId, type PortReport, type ProbeOptions, type StopPhase } from './types.js';

interface Step {
  phase: PhaseId;
  /** The --stop-after level this step belongs to. */
  level: StopPhase;
  fn: PhaseFn;
}

const FN: Record<PhaseId, PhaseFn> = {
  tcp: tcpPhase,
  banner: bannerPhase,
  ehlo: ehloPhase,
  starttls: starttlsPhase,
  tls: tlsPhase,
  auth: authPhase,
  mail: mailPhase,
  rcpt: rcptPhase,
  data: dataPhase,
};

function step(phase: PhaseId, level: StopPhase): Step {
  return { phase, level, fn: FN[phase] };
}

/** The steps a port runs, in order, for a TLS mode and a last phase. */
export function plan(opts: Pick<ProbeOptions, 'tls' | 'stopAfter' | 'user' | 'from' | 'to'>): Step[] {
  const steps: Step[] =
    opts.tls === 'implicit'
      ? [step('tcp', 'connect'), step('tls', 'banner'), step('banner', 'banner'), step('ehlo', 'ehlo')]
      : [step('tcp', 'connect'), step('banner', 'banner'), step('ehlo', 'ehlo')];
  if (opts.tls === 'starttls') steps.push(step('starttls', 'tls'), step('tls', 'tls'));
  if (opts.user) steps.push(step('auth', 'auth'));
  steps.push(step('mail', 'mail'), step('rcpt', 'rcpt'), step('data', 'data'));
  const last = phaseRank(opts.stopAfter);
  return steps.filter((s) => phaseRank(s.level) <= last);
}

export interface HeldProbe {
  report: PortReport;
  /** The open session when every phase passed (for --connections); undefined otherwise. */
  session?: SmtpSession;
}

/** Probes one port and leaves the session open on success; the caller must quit it. */
export async function probePortHeld(opts: ProbeOptions): Promise<HeldProbe> {
  const st: ProbeState = { opts, report: { port: opts.port, mode: opts.tls, phases: [], completed: false } };
  for (const s of plan(opts)) {
    const start = performance.now();
    const outcome = await s.fn(st).catch((e: unknown) => errorOutcome(st, s.phase, e));
    outcome.durationMs = Math.round(performance.now() - start);
    st.report.phases.push(outcome);
    if (outcome.status === 'fail') {
      st.report.failedPhase = s.phase;
      declineAuthIfAsked(st, s.phase);
      st.session?.close();
      return { report: st.report };
    }
  }
  st.report.completed = true;
  return { report: st.report, session: st.session };
}

/** Probes one port and ends the session politely (QUIT). */
export async function probePort(opts: ProbeOptions): Promise<PortReport> {
  const held = await probePortHeld(opts);
  await endSession(held, opts.timeoutMs);
  return held.report;
}

/** QUIT politely once the server has spoken; before its greeting (--stop-after connect) just close. */
export async function endSession(held: HeldProbe, timeoutMs: number): Promise<void> {
  if (!held.session) return;
  if (held.report.banner) await held.session.quit(Math.min(timeoutMs, 2000));
  else held.session.close();
}

/** When STARTTLS is missing but credentials were given, say plainly that they were not sent. */
function declineAuthIfAsked(st: ProbeState, failed: PhaseId): void {
  if (failed !== 'starttls' || !st.opts.user || phaseRank(st.opts.stopAfter) < phaseRank('auth')) return;
  if (!st.report.refusedPlaintextAuth) return;
  st.report.phases.push({
    phase: 'auth',
    status: 'fail',
    summary: 'credentials not sent: the server offers AUTH only without TLS',
    hint: 'omr never sends a password unencrypted. Use port 587 (STARTTLS) or 465 (implicit TLS), or see diagnosis:plaintext-auth-only.',
  });
}
