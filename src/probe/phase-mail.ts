// Phases after TLS: AUTH (PLAIN or LOGIN, only inside TLS), MAIL FROM, RCPT TO, DATA.
import { hostname } from 'node:os';
import { rejected, sessionOf, type ProbeState } from './outcome.js';
import { formatReply, type SmtpReply } from './reply.js';
import type { PhaseOutcome } from './types.js';

const SUPPORTED = ['PLAIN', 'LOGIN'] as const;

const AUTH_HINTS: Record<number, string> = {
  535: 'The user name or password is wrong. Check both (the password file\'s first line, no spaces); repeated failures can lock an account.',
  534: 'The server wants a stronger mechanism than PLAIN/LOGIN.',
  538: 'The server requires encryption for this mechanism.',
  454: 'A temporary authentication failure on the server: try again later.',
  421: 'The server refused the login for now: usually too many simultaneous connections for this account (OMR allows 5). See diagnosis:connection-limit.',
};

export async function authPhase(st: ProbeState): Promise<PhaseOutcome> {
  const s = sessionOf(st);
  const { user, password } = st.opts;
  if (!user || password === undefined) return { phase: 'auth', status: 'skip', summary: 'no --user given: AUTH not tried' };
  if (!s.secure) {
    st.report.refusedPlaintextAuth = true;
    return { phase: 'auth', status: 'fail', summary: 'credentials not sent: the connection is not encrypted', hint: 'omr never sends a password without TLS. Use a port with STARTTLS (587) or implicit TLS (465).' };
  }
  const caps = st.report.capabilitiesAfterTls ?? st.report.capabilities;
  const offered = caps?.auth ?? [];
  const wanted = st.opts.authMech ? [st.opts.authMech] : SUPPORTED;
  const mech = wanted.find((m) => offered.includes(m));
  if (!mech) {
    const supported = st.opts.authMech ? `--auth-mech ${st.opts.authMech} was asked for` : 'omr supports PLAIN and LOGIN';
    const summary = offered.length ? `no usable mechanism: server offers ${offered.join(' ')}, ${supported}` : 'the server does not offer AUTH';
    return { phase: 'auth', status: 'fail', summary, detail: { offered }, hint: offered.length ? undefined : 'This port does not take logins: it may be for incoming mail only (port 25). Use the submission port 587.' };
  }
  st.report.authMechanism = mech;
  const reply = mech === 'PLAIN' ? await authPlain(st, user, password) : await authLogin(st, user, password);
  const detail = { mechanism: mech, offered, code: reply.code, user };
  if (reply.code === 235) return { phase: 'auth', status: 'pass', summary: `authenticated as ${user} with ${mech}`, detail };
  const out = rejected(st, 'auth', reply, `authentication as ${user} failed`, AUTH_HINTS[reply.code]);
  out.detail = { ...detail, reply: reply.raw };
  return out;
}

async function authPlain(st: ProbeState, user: string, password: string): Promise<SmtpReply> {
  const token = Buffer.from(`\0${user}\0${password}`).toString('base64');
  return sessionOf(st).command(`AUTH PLAIN ${token}`, { timeoutMs: st.opts.timeoutMs, display: 'AUTH PLAIN [redacted]' });
}

async function authLogin(st: ProbeState, user: string, password: string): Promise<SmtpReply> {
  const s = sessionOf(st);
  const t = st.opts.timeoutMs;
  let reply = await s.command('AUTH LOGIN', { timeoutMs: t });
  if (reply.code !== 334) return reply;
  reply = await s.command(Buffer.from(user).toString('base64'), { timeoutMs: t });
  if (reply.code !== 334) return reply;
  return s.command(Buffer.from(password).toString('base64'), { timeoutMs: t, display: '[redacted]' });
}

export async function mailPhase(st: ProbeState): Promise<PhaseOutcome> {
  const from = st.opts.from ?? '';
  const reply = await sessionOf(st).command(`MAIL FROM:<${from}>`, { timeoutMs: st.opts.timeoutMs });
  if (reply.code === 250) return { phase: 'mail', status: 'pass', summary: `sender <${from}> accepted`, detail: { code: reply.code } };
  const hint = reply.code >= 500 ? 'The server refuses this sender: use an address of a domain your account may send for.' : undefined;
  return rejected(st, 'mail', reply, `sender <${from}> refused`, hint);
}

export async function rcptPhase(st: ProbeState): Promise<PhaseOutcome> {
  const to = st.opts.to ?? '';
  const reply = await sessionOf(st).command(`RCPT TO:<${to}>`, { timeoutMs: st.opts.timeoutMs });
  if (reply.code === 250 || reply.code === 251) return { phase: 'rcpt', status: 'pass', summary: `recipient <${to}> accepted`, detail: { code: reply.code } };
  const hint = reply.code === 554 || reply.code === 550 ? 'The server refuses this recipient (relaying denied without AUTH, or the address does not exist).' : undefined;
  return rejected(st, 'rcpt', reply, `recipient <${to}> refused`, hint);
}

/** A small, honest test message (its Subject says what it is). */
export function testMessage(from: string, to: string, now = new Date()): string[] {
  const id = `${now.getTime().toString(36)}.${Math.random().toString(36).slice(2, 10)}@omr-test`;
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: omr test message ${now.toISOString()}`,
    `Date: ${now.toUTCString()}`,
    `Message-ID: <${id}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is a test message sent by "omr test" from ${hostname()}.`,
    'It checks that this machine can hand mail to the smarthost. No action is needed.',
  ];
}

const QUEUE_ID = [/queued as ([^\s;,]+)/i, /\bid=([^\s;,]+)/i, /\b(?:ok|accepted)[:\s]+<?([A-Za-z0-9][\w.@-]{5,})>?/i];

export async function dataPhase(st: ProbeState): Promise<PhaseOutcome> {
  const s = sessionOf(st);
  const t = st.opts.timeoutMs;
  const go = await s.command('DATA', { timeoutMs: t });
  if (go.code !== 354) return rejected(st, 'data', go, 'DATA refused');
  for (const line of testMessage(st.opts.from ?? '', st.opts.to ?? '')) s.send(line.startsWith('.') ? '.' + line : line);
  const sent = performance.now();
  const ack = await s.command('.', { timeoutMs: t });
  const ackMs = Math.round(performance.now() - sent);
  st.report.dataAckMs = ackMs;
  if (ack.code !== 250) {
    const out = rejected(st, 'data', ack, 'message refused at end of data');
    out.detail = { ...out.detail, dataAckMs: ackMs };
    return out;
  }
  const queueId = QUEUE_ID.map((re) => re.exec(ack.text)?.[1]).find(Boolean);
  st.report.queueId = queueId;
  return { phase: 'data', status: 'pass', summary: `message accepted after ${ackMs} ms: ${formatReply(ack)}`, detail: { code: ack.code, dataAckMs: ackMs, queueId, reply: ack.raw } };
}
