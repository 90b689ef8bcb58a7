// Who may use the relay: an allowlist of CIDRs, plus a second gate that refuses sources outside
// private/loopback ranges unless the operator explicitly opts in. Pure; unit-tested.
import ipaddr from 'ipaddr.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Addr, number];

/** Ranges ipaddr.js calls these are "not on the public Internet". */
const PRIVATE_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat', 'unspecified']);

/** Parse a CIDR (a bare address means a single host); throws with a readable message. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  try {
    if (t.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(t);
      return [normalise(addr), addr.kind() === 'ipv6' && normalise(addr).kind() === 'ipv4' ? bits - 96 : bits];
    }
    const a = normalise(ipaddr.parse(t));
    return [a, a.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`"${text}" is not an address or CIDR (e.g. 192.168.1.0/24, fd00::/8)`);
  }
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1, what dual-stack sockets report) becomes plain IPv4. */
function normalise(a: Addr): Addr {
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address();
  return a;
}

export function parseAddress(text: string): Addr | undefined {
  try {
    return normalise(ipaddr.parse(text.replace(/%.*$/, '')));
  } catch {
    return undefined;
  }
}

export function isPrivateAddress(text: string): boolean {
  const a = parseAddress(text);
  return a !== undefined && PRIVATE_RANGES.has(a.range());
}

export type AdmitDecision = { ok: true } | { ok: false; reason: 'not-allowed' | 'public-source' | 'bad-address' };

export class ClientPolicy {
  private readonly cidrs: Cidr[];
  constructor(allow: readonly string[], private readonly allowPublic: boolean) {
    this.cidrs = allow.map(parseCidr);
  }

  /** CIDRs in the list that admit public addresses (for the loud startup warning). */
  static publicEntries(allow: readonly string[]): string[] {
    return allow.filter((c) => {
      const [addr, bits] = parseCidr(c);
      return !PRIVATE_RANGES.has(addr.range()) || (addr.kind() === 'ipv4' ? bits < 8 : bits < 7);
    });
  }

  admit(remote: string): AdmitDecision {
    const a = parseAddress(remote);
    if (!a) return { ok: false, reason: 'bad-address' };
    const listed = this.cidrs.some(([net, bits]) => net.kind() === a.kind() && a.match(net as never, bits));
    if (!listed) return { ok: false, reason: 'not-allowed' };
    if (!this.allowPublic && !PRIVATE_RANGES.has(a.range())) return { ok: false, reason: 'public-source' };
    return { ok: true };
  }
}

/** Counts open sessions per client address to enforce sessions-per-client. */
export class SessionCounter {
  private readonly open = new Map<string, number>();
  constructor(private readonly limit: number) {}
  tryOpen(client: string): boolean {
    const n = this.open.get(client) ?? 0;
    if (n >= this.limit) return false;
    this.open.set(client, n + 1);
    return true;
  }
  close(client: string): void {
    const n = (this.open.get(client) ?? 1) - 1;
    if (n <= 0) this.open.delete(client);
    else this.open.set(client, n);
  }
  count(client: string): number {
    return this.open.get(client) ?? 0;
  }
}
