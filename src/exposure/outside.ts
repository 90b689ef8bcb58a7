// Outside mode, one port: TCP connect (refused / filtered / open), banner, EHLO, VRFY/EXPN,
// optional STARTTLS, then the relay battery (MAIL FROM + RCPT TO + RSET per variant, never DATA,
// stop at the first 530). Returns facts; verdicts and checks are made in outside-checks.ts.
import { SmtpDialog, type SmtpReply } from './smtp-dialog.js';
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

function line(r: SmtpReply): string {
  return r.lines.join(' / ');
}

function classifyConnectError(e: NodeJS.ErrnoException): TcpState {
  if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET') return 'refused';
  if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM'].includes(e.code ?? '')) return 'filtered';
  return 'error';
}

export async function probePort(opts: ProbeOptions): Promise<PortProbe> {
  const implicitTls = opts.implicitTls ?? opts.port === 465;
  const probe: PortProbe = { port: opts.port, tcp: 'error', tls: implicitTls ? 'implicit' : 'none', capabilities: [], exposure: 'inconclusive', reason: '', transcript: [] };
  const start = performance.now();
  let dialog: SmtpDialog;
  try {
    dialog = await SmtpDialog.connect({ host: opts.ip, port: opts.port, timeoutMs: opts.timeoutMs, implicitTls, servername: opts.host });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { tcpConnected?: boolean };
    probe.tcp = err.tcpConnected ? 'open' : classifyConnectError(err);
    probe.tcpError = err.code ?? err.message;
    probe.exposure = probe.tcp === 'open' ? 'inconclusive' : probe.tcp === 'error' ? 'inconclusive' : 'not-reachable';
    probe.reason = probe.tcp === 'open' ? `port open but the TLS handshake failed (${err.message})` : `TCP connect ${probe.tcp} (${probe.tcpError})`;
    return probe;
  }
  probe.tcp = 'open';
  probe.connectMs = Math.round(performance.now() - start);
  // Each reply is bounded by the timeout; this caps the whole dialogue against a tarpit that
  // answers every command just before the timeout (about 40 commands in a full battery).
  const budget = setTimeout(() => dialog.abort(`dialogue took longer than ${Math.round((opts.timeoutMs * SESSION_BUDGET_FACTOR) / 1000)} s`), opts.timeoutMs * SESSION_BUDGET_FACTOR);
  try {
    await converse(dialog, probe, opts);
  } catch (e) {
    if (!probe.reason) probe.reason = (e as Error).message;
  } finally {
    clearTimeout(budget);
    await dialog.close();
    probe.transcript = dialog.transcript;
  }
  return probe;
}

async function converse(dialog: SmtpDialog, probe: PortProbe, opts: ProbeOptions): Promise<void> {
  let greeting: SmtpReply;
  try {
    greeting = await dialog.readReply();
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
  if (!(await hello(dialog, probe, opts))) return;
  if (probe.capabilities.includes('STARTTLS') && !dialog.secure) {
    let r: SmtpReply | undefined;
    try {
      r = await dialog.startTls();
    } catch (e) {
      probe.reason = `SMTP answered; STARTTLS failed (${(e as Error).message})`;
      return;
    }
    if (r.code === 220) {
      probe.tls = 'starttls';
      if (!(await hello(dialog, probe, opts))) return;
    }
  }
  probe.vrfy = await disclosure(dialog, 'VRFY postmaster');
  probe.expn = await disclosure(dialog, 'EXPN postmaster');
  if (!opts.relayTest) {
    probe.reason = 'SMTP answered (relay test skipped)';
    return;
  }
  const serverName = serverNameFromGreeting(greeting.lines[0] ?? '') ?? opts.host;
  await relayBattery(dialog, probe, relayVariants({ ip: opts.ip, serverName }));
}

async function hello(dialog: SmtpDialog, probe: PortProbe, opts: ProbeOptions): Promise<boolean> {
  const name = opts.ehloName ?? 'omr-check-exposure.invalid';
  let r = await dialog.command(`EHLO ${name}`);
  if (r.code >= 500) r = await dialog.command(`HELO ${name}`);
  probe.ehlo = { code: r.code, lines: r.lines };
  probe.capabilities = r.code === 250 ? r.lines.slice(1).map((l) => l.slice(4).trim().toUpperCase()) : [];
  if (r.code !== 250) {
    probe.exposure = 'reachable-relay-refused';
    probe.reason = `the server answered but refused EHLO/HELO: ${line(r)}`;
    return false;
  }
  return true;
}

async function disclosure(dialog: SmtpDialog, command: string): Promise<PortProbe['vrfy']> {
  const r = await dialog.command(command);
  // 250/251 confirm or expand an address; 252 ("cannot verify") discloses nothing.
  return { command, reply: line(r), exposed: r.code === 250 || r.code === 251 };
}

function relayed(r: SmtpReply): boolean {
  return r.code === 250 || r.code === 251;
}

async function relayBattery(dialog: SmtpDialog, probe: PortProbe, variants: RelayVariant[]): Promise<void> {
  const results: VariantResult[] = [];
  probe.relay = { tested: 0, variants: results };
  try {
    await runVariants(dialog, probe.relay, variants);
  } catch (e) {
    probe.relay.stoppedBy ??= (e as Error).message;
  } finally {
    concludeRelay(probe);
  }
}

async function runVariants(dialog: SmtpDialog, relay: NonNullable<PortProbe['relay']>, variants: RelayVariant[]): Promise<void> {
  const results = relay.variants;
  for (const v of variants) {
    const res: VariantResult = { ...v, relayed: false };
    results.push(res);
    const mail = await dialog.command(`MAIL FROM:${v.mailFrom}`);
    res.mailReply = line(mail);
    if (mail.code === 530 || mail.code === 421) { relay.stoppedBy = res.mailReply; break; }
    if (mail.code < 400) {
      const rcpt = await dialog.command(`RCPT TO:${v.rcptTo}`);
      res.rcptReply = line(rcpt);
      res.relayed = relayed(rcpt);
      if (rcpt.code === 530 || rcpt.code === 421) { relay.stoppedBy = res.rcptReply; break; }
    }
    relay.tested++;
    const rset = await dialog.command('RSET');
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
