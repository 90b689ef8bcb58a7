// TLS phases: the STARTTLS exchange, the handshake with certificate facts, EHLO again inside TLS.
import type tls from 'node:tls';
import { compareCapabilities, parseEhlo } from './ehlo.js';
import { SmtpSessionError } from './errors.js';
import { ehloName, errorOutcome, rejected, sessionOf, type ProbeState } from './outcome.js';
import { describeTls, explainTlsError, tlsFacts } from './tls-facts.js';
import type { PhaseOutcome } from './types.js';

/** The STARTTLS command (not the handshake). Fails when STARTTLS is missing or refused. */
export async function starttlsPhase(st: ProbeState): Promise<PhaseOutcome> {
  const caps = st.report.capabilities;
  if (!caps?.starttls) {
    if (caps?.auth.length) st.report.refusedPlaintextAuth = true;
    const mangled = caps?.mangled.length ? ` (EHLO lists ${caps.mangled.join(', ')}: a firewall rewrote it)` : '';
    return {
      phase: 'starttls',
      status: 'fail',
      summary: `the server does not offer STARTTLS${mangled}`,
      detail: { offered: false, mangled: caps?.mangled ?? [] },
      hint: 'Without STARTTLS the password would travel unencrypted, so omr will not authenticate here. Use port 587 or 465, or see diagnosis:starttls-stripped.',
    };
  }
  const s = sessionOf(st);
  const reply = await s.command('STARTTLS', { timeoutMs: st.opts.timeoutMs });
  if (reply.code !== 220) {
    return rejected(st, 'starttls', reply, 'STARTTLS advertised but refused', 'Something between you and the server interferes with STARTTLS (antivirus mail scanning, firewall SMTP inspection), or the server is misconfigured.');
  }
  return { phase: 'starttls', status: 'pass', summary: `ready to start TLS: ${reply.code} ${reply.text}`, detail: { offered: true, code: reply.code } };
}

/** Handshake (after STARTTLS or right after connect for implicit TLS), then EHLO again when STARTTLS. */
export async function tlsPhase(st: ProbeState): Promise<PhaseOutcome> {
  const s = sessionOf(st);
  const name = st.opts.host;
  let socket: tls.TLSSocket;
  try {
    socket = await s.upgradeTls({ timeoutMs: st.opts.timeoutMs, servername: name, ca: st.opts.ca });
  } catch (e) {
    const sock = (e as { socket?: tls.TLSSocket }).socket;
    if (!sock) return handshakeFailure(st, e);
    const facts = tlsFacts(sock, name, st.opts.now?.());
    st.report.tls = facts;
    return {
      phase: 'tls',
      status: 'fail',
      summary: `certificate not trusted: ${explainTlsError(facts.authorizationError)} (issuer: ${facts.issuer || '?'})`,
      detail: { ...facts },
      hint: untrustedHint(st),
    };
  }
  const facts = tlsFacts(socket, name, st.opts.now?.());
  st.report.tls = facts;
  const out: PhaseOutcome = { phase: 'tls', status: 'pass', summary: describeTls(facts), detail: { ...facts } };
  if (st.report.mode === 'starttls') await ehloAgain(st, out);
  return out;
}

function untrustedHint(st: ProbeState): string {
  const ca = st.opts.ca ? '' : ' For a private CA (e.g. `omr simulate`), pass --ca FILE.';
  return `Do not send mail through a server whose certificate does not verify. If the issuer is your antivirus or firewall, it intercepts mail: turn off its SMTP/TLS scanning.${ca}`;
}

function handshakeFailure(st: ProbeState, e: unknown): PhaseOutcome {
  const out = errorOutcome(st, 'tls', e);
  const msg = e instanceof SmtpSessionError ? e.message : String(e);
  if (st.report.mode === 'implicit' && /wrong version number|packet length too long|unknown protocol/i.test(msg)) {
    out.summary = 'the port answered in plaintext, not TLS';
    out.hint = 'This port speaks plain SMTP: use --tls starttls for it (implicit TLS is normally port 465).';
  } else if (!out.hint) {
    out.hint = 'The TLS handshake failed: the server may only offer old protocol versions, or a proxy breaks TLS.';
  }
  return out;
}

/** RFC 3207: forget what was learnt before TLS and ask again; note what changed. */
async function ehloAgain(st: ProbeState, out: PhaseOutcome): Promise<void> {
  const s = sessionOf(st);
  const reply = await s.command(`EHLO ${ehloName(st)}`, { timeoutMs: st.opts.timeoutMs });
  if (reply.code !== 250) {
    Object.assign(out, rejected(st, 'tls', reply, 'EHLO after TLS refused'));
    return;
  }
  const after = parseEhlo(reply);
  st.report.capabilitiesAfterTls = after;
  const before = st.report.capabilities;
  const change = before ? compareCapabilities(before, after) : { added: [], removed: [] };
  st.report.capabilityChange = change;
  out.detail = { ...out.detail, ehloAfterTls: after.raw, auth: after.auth, change };
  const added = change.added.map((k) => k.split(' ')[0]).filter((k, i, a) => a.indexOf(k) === i);
  out.summary += added.length ? `; EHLO again adds ${added.join(', ')}` : '; EHLO again: same capabilities';
}
