// Name resolution for the probe: the system resolver (as mail clients use it), bounded by a timeout.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface DnsResult {
  ok: boolean;
  /** Host was already an IP address: nothing was looked up. */
  literal: boolean;
  addresses: ResolvedAddress[];
  durationMs: number;
  error?: string;
  errno?: string;
}

export type Lookup = (host: string) => Promise<ResolvedAddress[]>;

const systemLookup: Lookup = async (host) => {
  const all = await lookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export async function resolveHost(host: string, timeoutMs: number, resolver: Lookup = systemLookup): Promise<DnsResult> {
  const start = performance.now();
  const elapsed = (): number => Math.round(performance.now() - start);
  const family = isIP(host);
  if (family) return { ok: true, literal: true, addresses: [{ address: host, family: family as 4 | 6 }], durationMs: 0 };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no DNS answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
    });
    const addresses = await Promise.race([resolver(host), timeout]);
    if (addresses.length === 0) return { ok: false, literal: false, addresses, durationMs: elapsed(), error: 'no A or AAAA records', errno: 'ENODATA' };
    return { ok: true, literal: false, addresses, durationMs: elapsed() };
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    return { ok: false, literal: false, addresses: [], durationMs: elapsed(), error: explainDnsError(errno, (e as Error).message), errno };
  } finally {
    clearTimeout(timer);
  }
}

function explainDnsError(errno: string | undefined, message: string): string {
  switch (errno) {
    case 'ENOTFOUND':
      return 'no such host name';
    case 'EAI_AGAIN':
    case 'ETIMEOUT':
      return 'the DNS server did not answer in time';
    case 'ENODATA':
      return 'no A or AAAA records';
    default:
      return message;
  }
}
