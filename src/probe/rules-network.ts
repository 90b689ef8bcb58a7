// Diagnosis rules about reaching the server: blocked ports, silent ports, proxies in the way.
import { list, PROXY_TEXT, working, type Rule } from './diagnose-util.js';

export const port25Blocked: Rule = {
  id: 'port25-blocked',
  check({ ports }) {
    const p25 = ports.find((p) => p.port === 25);
    if (!p25 || (p25.connect !== 'filtered' && p25.connect !== 'refused' && p25.connect !== 'reset')) return undefined;
    const ok = ports.filter((p) => p.port !== 25 && p.connect === 'connected');
    if (ok.length === 0) return undefined; // nothing connects at all: diagnosis:no-connection says so
    const best = working(ok)[0] ?? ok[0]!;
    return {
      status: 'warn',
      summary: `port 25 is ${p25.connect} while port ${list(ok)} connects`,
      hint: `Your ISP or firewall blocks outgoing port 25; use port ${best.port} for sending (set it as the smarthost port).`,
      detail: { port25: p25.connect, working: ok.map((p) => p.port) },
    };
  },
};

export const noConnection: Rule = {
  id: 'no-connection',
  check({ ports }) {
    if (ports.length === 0 || ports.some((p) => p.connect === 'connected')) return undefined;
    const kinds = [...new Set(ports.map((p) => p.connect ?? 'error'))];
    return {
      status: 'fail',
      summary: `no port accepted a TCP connection (${kinds.join(', ')})`,
      hint: kinds.includes('filtered')
        ? 'Outgoing mail ports are blocked: check this machine\'s firewall, the office router, and ask the ISP whether it blocks SMTP ports.'
        : 'Check the host name and that the server is up; "refused" means the address answers but nothing listens there.',
      detail: { results: Object.fromEntries(ports.map((p) => [p.port, p.connect])) },
    };
  },
};

export const noGreeting: Rule = {
  id: 'no-greeting',
  check({ ports }) {
    const silent = ports.filter((p) => p.failedPhase === 'banner' && !p.banner);
    if (silent.length === 0) return undefined;
    return {
      status: working(ports).length ? 'warn' : 'fail',
      summary: `port ${list(silent)} accepted the connection but never sent a greeting`,
      hint: 'A program between you and the server takes the connection and stalls: antivirus "scan outgoing mail", a firewall SMTP proxy, or an overloaded server. Turn off mail scanning, or use a port that works.',
      detail: { ports: silent.map((p) => p.port) },
    };
  },
};

export const smtpProxy: Rule = {
  id: 'smtp-proxy',
  check({ ports, expectBanner }) {
    const reasons: string[] = [];
    for (const p of ports) {
      const banner = p.banner?.raw.join(' ') ?? '';
      if (expectBanner && p.banner && p.banner.code === 220 && !expectBanner.test(p.banner.raw.join('\n'))) reasons.push(`port ${p.port} banner does not match ${expectBanner}: "${banner}"`);
      else if (PROXY_TEXT.test(banner)) reasons.push(`port ${p.port} banner names a proxy: "${banner}"`);
      if (p.tls && PROXY_TEXT.test(p.tls.issuer)) reasons.push(`port ${p.port} certificate issued by "${p.tls.issuer}"`);
    }
    const leafs = new Map<string, number[]>();
    for (const p of ports) {
      const fp = p.tls?.chain[0]?.fingerprint256;
      if (fp) leafs.set(fp, [...(leafs.get(fp) ?? []), p.port]);
    }
    if (leafs.size > 1) reasons.push(`ports present different certificates (${[...leafs.values()].map((v) => v.join('+')).join(' vs ')})`);
    if (reasons.length === 0) return undefined;
    return {
      status: 'warn',
      summary: `another program may be answering for the server: ${reasons[0]}`,
      hint: 'An antivirus or firewall proxies SMTP and can show misleading errors. Turn off its outgoing-mail scanning or exclude the smarthost, then test again.',
      detail: { reasons },
    };
  },
};

