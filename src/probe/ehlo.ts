// EHLO capability parsing (RFC 5321 4.1.1.1 and the extensions a submission client cares about).
import type { SmtpReply } from './reply.js';

export interface Capabilities {
  /** Server's self-introduction (first line of the EHLO reply). */
  greetingName: string;
  starttls: boolean;
  /** AUTH mechanisms, upper case (also from the old "AUTH=" form). */
  auth: string[];
  /** SIZE limit in bytes; 0 = advertised without a limit; undefined = not advertised. */
  size?: number;
  pipelining: boolean;
  eightBitMime: boolean;
  smtputf8: boolean;
  enhancedStatusCodes: boolean;
  chunking: boolean;
  /** Every keyword line as sent (upper-cased keyword, original parameters). */
  raw: string[];
  /** Keywords that look like a mangled STARTTLS (Cisco "XXXXXXXA" fixup and friends). */
  mangled: string[];
}

/** Parses a 250 EHLO reply. */
export function parseEhlo(reply: SmtpReply): Capabilities {
  const [first = '', ...rest] = reply.lines;
  const caps: Capabilities = {
    greetingName: first.split(/\s+/)[0] ?? '',
    starttls: false,
    auth: [],
    pipelining: false,
    eightBitMime: false,
    smtputf8: false,
    enhancedStatusCodes: false,
    chunking: false,
    raw: rest.map((l) => l.trim()).filter(Boolean),
    mangled: [],
  };
  const auth = new Set<string>();
  for (const line of caps.raw) {
    const [kwRaw = '', ...params] = line.split(/\s+/);
    const kw = kwRaw.toUpperCase();
    if (kw === 'STARTTLS') caps.starttls = true;
    else if (kw === 'AUTH' || kw.startsWith('AUTH=')) {
      const mechs = kw.startsWith('AUTH=') ? [kw.slice(5), ...params] : params;
      for (const m of mechs) if (m) auth.add(m.toUpperCase());
    } else if (kw === 'SIZE') caps.size = params[0] && /^\d+$/.test(params[0]) ? Number(params[0]) : 0;
    else if (kw === 'PIPELINING') caps.pipelining = true;
    else if (kw === '8BITMIME') caps.eightBitMime = true;
    else if (kw === 'SMTPUTF8') caps.smtputf8 = true;
    else if (kw === 'ENHANCEDSTATUSCODES') caps.enhancedStatusCodes = true;
    else if (kw === 'CHUNKING') caps.chunking = true;
    else if (/^X{4,}[A-Z]?$/.test(kw) || kw === 'X-STARTTLS' || kw === 'XSTARTTLS') caps.mangled.push(kwRaw);
  }
  caps.auth = [...auth];
  return caps;
}

/** Short list of what was advertised, for summaries: "STARTTLS, AUTH PLAIN LOGIN, SIZE 20 MB". */
export function describeCapabilities(c: Capabilities): string {
  const parts: string[] = [];
  if (c.starttls) parts.push('STARTTLS');
  if (c.auth.length) parts.push(`AUTH ${c.auth.join(' ')}`);
  if (c.size !== undefined) parts.push(c.size ? `SIZE ${formatMb(c.size)}` : 'SIZE');
  if (c.pipelining) parts.push('PIPELINING');
  if (c.eightBitMime) parts.push('8BITMIME');
  if (c.smtputf8) parts.push('SMTPUTF8');
  return parts.join(', ') || 'no extensions';
}

function formatMb(bytes: number): string {
  return `${Math.round((bytes / 1_048_576) * 10) / 10} MiB`;
}

export interface CapabilityChange {
  added: string[];
  removed: string[];
}

/** What changed between the EHLO before and after TLS (AUTH usually appears only after). */
export function compareCapabilities(before: Capabilities, after: Capabilities): CapabilityChange {
  const kws = (c: Capabilities): Set<string> => new Set(c.raw.map((l) => l.toUpperCase().replace(/\s+/g, ' ')));
  const b = kws(before);
  const a = kws(after);
  return { added: [...a].filter((k) => !b.has(k)), removed: [...b].filter((k) => !a.has(k)) };
}
