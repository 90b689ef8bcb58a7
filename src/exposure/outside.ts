// Outside mode, one port: TCP connect (refused / filtered / open), banner, EHLO, VRFY/EXPN,
// optional STARTTLS, then the relay battery (MAIL FROM + RCPT TO + RSET per variant, never DATA,
// stop at the first 530). Returns facts; verdicts and checks are made in outside-checks.ts.
import { SmtpSession, type SmtpReply, type SmtpSessionError, type TranscriptEvent } from '../probe/smtp-session.js';
import { relayVariants, serverNameFromGreeting, type RelayVariant } from './relay-variants.js';

export type TcpState = 'open' | 'refused' | 'filtered' | 'error';
export type PortExposure = 'not-reachable' | 'reachable-auth-required' | 'reachable-relay-refused' | 'open-relay' | 'inconclusive';

export interface VariantResult extends RelayVariant {
  mailReply?: string;
  rcptReply?: string;
  relayed: boolean;
}

export interface PortProbe {
  port: number;
  tcp: TcpState;
  tcpError?: string;
  connectMs?: number;
  tls: 'implicit' | 'starttls' | 'none';
  banner?: string;
  ehlo?: { code: number; lines: string[] };
  capabilities: string[];
  vrfy?: { command: string; reply: string; exposed: boolean };
  expn?: { command: string; reply: string; exposed: boolean };
  relay?: { tested: number; variants: VariantResult[]; stoppedBy?: string };
  exposure: PortExposure;
  reason: string;
  transcript: string[];
}

export interface ProbeOptions {
  host: string;
  /** The address actually connected to (for [IP] literals). */
  ip: string;
  port: number;
  timeoutMs: number;
  relayTest: boolean;
  implicitTls?: boolean;
  ehloName?: string;
}

const SESSION_BUDGET_FACTOR = 6;

/** Sends one command and waits (bounded) for its reply. */
type Send = (command: string) => Promise<SmtpReply>;

function line(r: SmtpReply): string {
  return r.raw.join(' / ');
}

function classifyConnectError(code: string | undefined): TcpState {
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return 'refused';
  if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM'].includes(code ?? '')) return 'filtered';
  return 'error';
}

/**
 * TCP connect, then for implicit TLS the handshake. Certificates are NOT verified: the probe only
 * asks whether the service answers and what it accepts; it never sends credentials or message data.
 * A TLS failure rejects with tcpConnected set, to tell it from a refused or filtered port.
 */
async function open(opts: ProbeOptions, implicitTls: boolean, transcript: string[]): Promise<SmtpSession> {
  // host is the IP: no SNI, and no name a certificate could be judged against.
  const session = await SmtpSession.connect({ host: opts.ip, port: opts.port, timeoutMs: opts.timeoutMs });
  session.on('transcript', (e: TranscriptEvent) => {
    if (e.dir !== 'info') transcript.push(`${e.dir === 'send' ? '->' : '<-'} ${e.line}`);
  });
  if (implicitTls) {
    try {
      await session.upgradeTls({ timeoutMs: opts.timeoutMs, verify: false });
    } catch (e) {
      session.close();
      throw Object.assign(e as Error, { tcpConnected: true });
    }
  }
  return session;
}

export async function probePort(opts: ProbeOptions): Promise<PortProbe> {
  const implicitTls = opts.implicitTls ?? opts.port === 465;
  const probe: PortProbe = { port: opts.port, tcp: 'error', tls: implicitTls ? 'implicit' : 'none', capabilities: [], exposure: 'inconclusive', reason: '', transcript: [] };
  const start = performance.now();
  const transcript: string[] = [];
  let session: SmtpSession;
  try {
    session = await open(opts, implicitTls, transcript);
  } catch (e) {
    const err = e as SmtpSessionError & { tcpConnected?: boolean };
    const cause = err.cause as NodeJS.ErrnoException | undefined;
    probe.tcp = err.tcpConnected ? 'open' : classifyConnectError(err.errno ?? err.code);
    probe.tcpError = err.errno ?? cause?.code ?? err.code ?? err.message;
    probe.exposure = probe.tcp === 'open' ? 'inconclusive' : probe.tcp === 'error' ? 'inconclusive' : 'not-reachable';
    probe.reason = probe.tcp === 'open' ? `port open but the TLS handshake failed (${cause?.message ?? err.message})` : `TCP connect ${probe.tcp} (${probe.tcpError})`;
    return probe;
  }
  probe.tcp = 'open';
  probe.connectMs = Math.round(performance.now() - start);
  // Each reply is bounded by the timeout; this caps the whole dialogue against a tarpit that
  // answers every command just before the timeout (about 40 commands in a full battery).
  const budget = setTimeout(() => session.abort(`dialogue took longer than ${Math.round((opts.timeoutMs * SESSION_BUDGET_FACTOR) / 1000)} s`), opts.timeoutMs * SESSION_BUDGET_FACTOR);
  try {
    await converse(session, probe, opts);
  } catch (e) {
    if (!probe.reason) probe.reason = (e as Error).message;
  } finally {
    clearTimeout(budget);
    await session.quit(Math.min(1000, opts.timeoutMs));
    probe.transcript = transcript;
  }
  return probe;
}

async function converse(session: SmtpSession, probe: PortProbe, opts: ProbeOptions): Promise<void> {
  const send: Send = (command) => session.command(command, { timeoutMs: opts.timeoutMs });
  let greeting: SmtpReply;
  try {
    greeting = await session.readReply(opts.timeoutMs);
  } catch (e) {
    probe.exposure = 'inconclusive';
    probe.reason = `TCP port open but no SMTP greeting (${(e as Error).message})`;
    return;
  }
  probe.banner = line(greeting);
  if (greeting.code !== 220) {
    probe.exposure = 'reachable-relay-refused';
    probe.reason = `the server answered but refused service: ${probe.banner}`;
    return;
  }
  probe.exposure = 'inconclusive';
  probe.reason = 'SMTP answered';
  if (!(await hello(send, probe, opts))) return;
  if (probe.capabilities.includes('STARTTLS') && !session.secure) {
    let r: SmtpReply | undefined;
    try {
      // Without certificate verification, as for implicit TLS (see open()).
      r = (await session.startTls({ timeoutMs: opts.timeoutMs, verify: false })).reply;
    } catch (e) {
      probe.reason = `SMTP answered; STARTTLS failed (${(e as Error).message})`;
      return;
    }
    if (r.code === 220) {
      probe.tls = 'starttls';
      if (!(await hello(send, probe, opts))) return;
    }
  }
  probe.vrfy = await disclosure(send, 'VRFY postmaster');
  probe.expn = await disclosure(send, 'EXPN postmaster');
  if (!opts.relayTest) {
    probe.reason = 'SMTP answered (relay test skipped)';
    return;
  }
  const serverName = serverNameFromGreeting(greeting.raw[0] ?? '') ?? opts.host;
  await relayBattery(send, probe, relayVariants({ ip: opts.ip, serverName }));
}

async function hello(send: Send, probe: PortProbe, opts: ProbeOptions): Promise<boolean> {
  const name = opts.ehloName ?? 'omr-check-exposure.invalid';
  let r = await send(`EHLO ${name}`);
  if (r.code >= 500) r = await send(`HELO ${name}`);
  probe.ehlo = { code: r.code, lines: r.raw };
  probe.capabilities = r.code === 250 ? r.lines.slice(1).map((l) => l.trim().toUpperCase()) : [];
  if (r.code !== 250) {
    probe.exposure = 'reachable-relay-refused';
    probe.reason = `the server answered but refused EHLO/HELO: ${line(r)}`;
    return false;
  }
  return true;
}

async function disclosure(send: Send, command: string): Promise<PortProbe['vrfy']> {
  const r = await send(command);
  // 250/251 confirm or expand an address; 252 ("cannot verify") discloses nothing.
  return { command, reply: line(r), exposed: r.code === 250 || r.code === 251 };
}

function relayed(r: SmtpReply): boolean {
  return r.code === 250 || r.code === 251;
}

async function relayBattery(send: Send, probe: PortProbe, variants: RelayVariant[]): Promise<void> {
  const results: VariantResult[] = [];
  probe.relay = { tested: 0, variants: results };
  try {
    await runVariants(send, probe.relay, variants);
  } catch (e) {
    probe.relay.stoppedBy ??= (e as Error).message;
  } finally {
    concludeRelay(probe);
  }
}

async function runVariants(send: Send, relay: NonNullable<PortProbe['relay']>, variants: RelayVariant[]): Promise<void> {
  const results = relay.variants;
  for (const v of variants) {
    const res: VariantResult = { ...v, relayed: false };
    results.push(res);
    const mail = await send(`MAIL FROM:${v.mailFrom}`);
    res.mailReply = line(mail);
    if (mail.code === 530 || mail.code === 421) { relay.stoppedBy = res.mailReply; break; }
    if (mail.code < 400) {
      const rcpt = await send(`RCPT TO:${v.rcptTo}`);
      res.rcptReply = line(rcpt);
      res.relayed = relayed(rcpt);
      if (rcpt.code === 530 || rcpt.code === 421) { relay.stoppedBy = res.rcptReply; break; }
    }
    relay.tested++;
    const rset = await send('RSET');
    if (rset.code >= 400) { relay.stoppedBy = line(rset); break; }
  }
}

function concludeRelay(probe: PortProbe): void {
  const relay = probe.relay!;
  const hits = relay.variants.filter((v) => v.relayed);
  if (hits.length > 0) {
    probe.exposure = 'open-relay';
    probe.reason = `accepted a foreign recipient in ${hits.length} of ${relay.variants.length} relay tests (first: MAIL FROM:${hits[0]!.mailFrom} RCPT TO:${hits[0]!.rcptTo})`;
  } else if (relay.stoppedBy?.startsWith('530')) {
    probe.exposure = 'reachable-auth-required';
    probe.reason = `answered from outside; requires authentication before accepting mail (${relay.stoppedBy})`;
  } else if (relay.tested > 0) {
    probe.exposure = 'reachable-relay-refused';
    const cut = relay.tested < 16 && relay.stoppedBy ? ` before the session ended (${relay.stoppedBy})` : '';
    probe.reason = `answered from outside; refused all ${relay.tested} relay tests${cut}`;
  } else {
    probe.exposure = 'inconclusive';
    probe.reason = `answered from outside; relay test did not complete${relay.stoppedBy ? ` (${relay.stoppedBy})` : ''}`;
  }
}
