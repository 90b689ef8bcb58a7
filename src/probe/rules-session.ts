// Diagnosis rules about the SMTP session itself: TLS stripping, plaintext-only AUTH, 421 limits
// and quotas, slowness, certificate expiry.
import { CONN_TEXT, QUOTA_TEXT, list, rejections, thresholds, working, type Rule } from './diagnose-util.js';
import { formatReply } from './reply.js';
import type { PortReport } from './types.js';

/** warn while some port still works (there is a way out), fail when none does. */
const severity = (ports: PortReport[]): 'warn' | 'fail' => (working(ports).length ? 'warn' : 'fail');

export const starttlsStripped: Rule = {
  id: 'starttls-stripped',
  check({ ports }) {
    const hasTls = ports.filter((p) => p.capabilities?.starttls || (p.mode === 'implicit' && p.tls));
    const missing = ports.filter((p) => p.mode === 'starttls' && p.capabilities && !p.capabilities.starttls);
    const mangled = ports.filter((p) => p.capabilities?.mangled.length);
    const refused = ports.filter((p) => p.rejection?.phase === 'starttls');
    const suspects = [...new Set([...mangled, ...refused, ...(hasTls.length ? missing : [])])];
    if (suspects.length === 0) return undefined;
    const why = mangled.length
      ? `EHLO on port ${list(mangled)} lists ${mangled[0]!.capabilities!.mangled.join(', ')} where STARTTLS belongs`
      : refused.length
        ? `port ${list(refused)} advertises STARTTLS but refuses it`
        : `port ${list(missing)} does not offer STARTTLS while port ${list(hasTls)} does`;
    return {
      status: severity(ports),
      summary: `STARTTLS appears to be stripped: ${why}`,
      hint: 'Something between you and the server removes encryption: antivirus "scan outgoing mail", or a firewall\'s SMTP inspection (Cisco "fixup smtp"). Turn it off, or use port 465 (implicit TLS), which such proxies cannot rewrite.',
      detail: { ports: suspects.map((p) => p.port), withTls: hasTls.map((p) => p.port) },
    };
  },
};

export const plaintextAuthOnly: Rule = {
  id: 'plaintext-auth-only',
  check({ ports, authAsked }) {
    const bad = ports.filter((p) => p.refusedPlaintextAuth);
    if (bad.length === 0) return undefined;
    return {
      status: severity(ports),
      summary: `port ${list(bad)} offers AUTH only without TLS${authAsked ? '; the password was not sent' : ''}`,
      hint: 'A password sent there travels in clear text: omr refuses to send it. Use port 587 with STARTTLS or 465 with implicit TLS; if STARTTLS should be there, see diagnosis:starttls-stripped.',
      detail: { ports: bad.map((p) => p.port), auth: bad[0]!.capabilities?.auth },
    };
  },
};

export const connectionLimit: Rule = {
  id: 'connection-limit',
  check({ ports }) {
    const hits = rejections(ports).filter((r) => r.reply.code === 421 && !QUOTA_TEXT.test(r.reply.text) && (r.phase === 'banner' || r.phase === 'auth' || CONN_TEXT.test(r.reply.text)));
    if (hits.length === 0) return undefined;
    const first = hits[0]!;
    return {
      status: severity(ports),
      summary: `the server refused the session (${first.phase} on port ${first.port}): ${formatReply(first.reply)}`,
      hint: 'Too many connections are open for this account or the server is at peak load (OMR allows 5 per account). Close other mail programs or PCs sending directly; route them all through one relay (omr relay keeps at most 5), then retry in a few minutes.',
      detail: { ports: hits.map((h) => h.port), phase: first.phase, reply: first.reply.raw },
    };
  },
};

export const quota: Rule = {
  id: 'quota',
  check({ ports }) {
    const hits = rejections(ports).filter((r) => QUOTA_TEXT.test(r.reply.text));
    if (hits.length === 0) return undefined;
    const first = hits[0]!;
    return {
      status: severity(ports),
      summary: `the server reports a quota: ${formatReply(first.reply)}`,
      hint: 'The hourly or monthly sending quota is used up: mail is refused until it resets. Ask the provider for a higher quota; a relay with --quota-hour queues mail instead of failing.',
      detail: { ports: hits.map((h) => h.port), phase: first.phase, reply: first.reply.raw },
    };
  },
};

export const slowGreeting: Rule = {
  id: 'slow-greeting',
  check(input) {
    const limit = thresholds(input).slowGreetingMs;
    const slow = input.ports.filter((p) => (p.greetingMs ?? 0) > limit);
    if (slow.length === 0) return undefined;
    return {
      status: 'warn',
      summary: `greeting took ${slow.map((p) => `${p.greetingMs} ms on port ${p.port}`).join(', ')} (threshold ${limit} ms)`,
      hint: 'Mail programs with short timeouts give up before the server speaks. Raise the client\'s server timeout; if only this network is slow, an antivirus proxy may be scanning.',
      detail: { thresholdMs: limit, ports: Object.fromEntries(slow.map((p) => [p.port, p.greetingMs])) },
    };
  },
};

export const slowDataAck: Rule = {
  id: 'slow-data-ack',
  check(input) {
    const limit = thresholds(input).slowDataAckMs;
    const slow = input.ports.filter((p) => (p.dataAckMs ?? 0) > limit);
    if (slow.length === 0) return undefined;
    return {
      status: 'warn',
      summary: `the server took ${slow.map((p) => `${p.dataAckMs} ms on port ${p.port}`).join(', ')} to accept the message (threshold ${limit} ms)`,
      hint: 'A client that times out before this "OK" reports an error although the mail was accepted, and users send it twice. Raise the client timeout, or send through a local relay that waits patiently.',
      detail: { thresholdMs: limit, ports: Object.fromEntries(slow.map((p) => [p.port, p.dataAckMs])) },
    };
  },
};

export const certExpiring: Rule = {
  id: 'cert-expiring',
  check(input) {
    const days = thresholds(input).certExpiringDays;
    const soon = input.ports.filter((p) => p.tls?.chain.length && p.tls.daysToExpiry <= days);
    if (soon.length === 0) return undefined;
    const min = Math.min(...soon.map((p) => p.tls!.daysToExpiry));
    return {
      status: min < 0 ? 'fail' : 'warn',
      summary: min < 0 ? `the certificate on port ${list(soon)} has expired` : `the certificate on port ${list(soon)} expires in ${min} days`,
      hint: 'Mail will stop when it expires: tell the server\'s operator (for OMR, TZO support). Nothing to change on your side.',
      detail: { daysToExpiry: min, ports: soon.map((p) => p.port), validTo: soon[0]!.tls!.chain[0]?.validTo },
    };
  },
};
