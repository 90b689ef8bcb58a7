// Phases up to EHLO: TCP connect (classified), greeting banner, EHLO capabilities.
import { parseEhlo, describeCapabilities } from './ehlo.js';
import { SmtpSessionError, type ConnectClass } from './errors.js';
import { ehloName, errorOutcome, rejected, secs, sessionOf, type ProbeState } from './outcome.js';
import { formatReply } from './reply.js';
import { SmtpSession } from './smtp-session.js';
import type { PhaseOutcome } from './types.js';

const CONNECT_TEXT: Record<Exclude<ConnectClass, 'connected'>, { summary: string; hint: string }> = {
  refused: {
    summary: 'connection refused',
    hint: 'Nothing listens on this port at that address, or a firewall rejects it. Check the host and port.',
  },
  filtered: {
    summary: 'no answer (filtered)',
    hint: 'A firewall silently drops connections to this port: your own, your ISP\'s, or the server\'s. Try another port (587, 2525, 465).',
  },
  unreachable: {
    summary: 'network unreachable',
    hint: 'This machine has no route to the address: check the network connection, the default gateway, or IPv6 availability.',
  },
  reset: {
    summary: 'connection reset during connect',
    hint: 'A firewall or the server reset the connection; try another port.',
  },
  error: { summary: 'connect failed', hint: 'Check the host name and the network connection.' },
};

/** Tries each resolved address in order until one accepts. */
export async function tcpPhase(st: ProbeState): Promise<PhaseOutcome> {
  const { opts } = st;
  const attempts: Array<{ address: string; result: ConnectClass; error?: string }> = [];
  for (const address of opts.addresses ?? [opts.host]) {
    try {
      const s = await SmtpSession.connect({ host: opts.host, address, port: opts.port, timeoutMs: opts.timeoutMs, signal: opts.signal, secrets: [opts.password ?? ''] });
      if (opts.onTranscript) s.on('transcript', opts.onTranscript);
      st.session = s;
      st.report.address = address;
      st.report.connect = 'connected';
      attempts.push({ address, result: 'connected' });
      return { phase: 'tcp', status: 'pass', summary: `connected to ${address} port ${opts.port}`, detail: { result: 'connected', address, attempts } };
    } catch (e) {
      if (!(e instanceof SmtpSessionError)) throw e;
      if (e.code === 'EABORTED') return errorOutcome(st, 'tcp', e);
      attempts.push({ address, result: e.connectClass ?? 'error', error: e.errno ?? e.code });
    }
  }
  const last = attempts[attempts.length - 1]!.result as Exclude<ConnectClass, 'connected'>;
  st.report.connect = last;
  const text = CONNECT_TEXT[last];
  const extra = last === 'filtered' ? ` within ${secs(opts.timeoutMs)}` : '';
  return { phase: 'tcp', status: 'fail', summary: `${text.summary}${extra}`, detail: { result: last, attempts }, hint: portHint(opts.port, text.hint) };
}

function portHint(port: number, base: string): string {
  if (port === 25) return base + ' Many ISPs block outgoing port 25 for home and office lines; use 587.';
  return base;
}

export async function bannerPhase(st: ProbeState): Promise<PhaseOutcome> {
  const s = sessionOf(st);
  const start = performance.now();
  let reply;
  try {
    reply = await s.readReply(st.opts.timeoutMs);
  } catch (e) {
    const out = errorOutcome(st, 'banner', e);
    if (e instanceof SmtpSessionError && e.code === 'ETIMEDOUT') {
      out.summary = `connected, but no greeting within ${secs(st.opts.timeoutMs)}`;
      out.hint = st.opts.tls === 'starttls' && st.opts.port === 465
        ? 'Port 465 expects implicit TLS and waits for us to start it: use --tls auto or --tls implicit.'
        : st.opts.tls === 'starttls'
          ? `If port ${st.opts.port} uses implicit TLS (like 465), test it with --port ${st.opts.port}/implicit; otherwise see diagnosis:no-greeting.`
          : 'See diagnosis:no-greeting.';
    }
    return out;
  }
  st.report.greetingMs = Math.round(performance.now() - start);
  st.report.banner = reply;
  if (reply.code !== 220) {
    const why = reply.code === 421 ? 'the server refused the session at greeting' : 'the server refused the session';
    return rejected(st, 'banner', reply, why, reply.code === 554 ? 'The server refuses connections from your address: it may be on a blocklist, or the service is not for you.' : undefined);
  }
  const detail = { code: reply.code, banner: reply.raw, greetingMs: st.report.greetingMs };
  if (st.opts.expectBanner && !st.opts.expectBanner.test(reply.raw.join('\n'))) {
    return { phase: 'banner', status: 'warn', summary: `unexpected banner: ${formatReply(reply)}`, detail: { ...detail, expected: String(st.opts.expectBanner) }, hint: 'Another server answers in its place, most often an antivirus or firewall proxy: see diagnosis:smtp-proxy.' };
  }
  return { phase: 'banner', status: 'pass', summary: formatReply(reply), detail };
}

export async function ehloPhase(st: ProbeState): Promise<PhaseOutcome> {
  const s = sessionOf(st);
  const reply = await s.command(`EHLO ${ehloName(st)}`, { timeoutMs: st.opts.timeoutMs });
  if (reply.code !== 250) {
    return rejected(st, 'ehlo', reply, 'EHLO refused', reply.code >= 500 && reply.code !== 554 ? 'The server does not speak ESMTP, so it cannot offer STARTTLS or AUTH.' : undefined);
  }
  const caps = parseEhlo(reply);
  if (s.secure) st.report.capabilitiesAfterTls = caps;
  else st.report.capabilities = caps;
  return { phase: 'ehlo', status: 'pass', summary: describeCapabilities(caps), detail: { name: caps.greetingName, capabilities: caps.raw, starttls: caps.starttls, auth: caps.auth, size: caps.size, pipelining: caps.pipelining, eightBitMime: caps.eightBitMime } };
}
