// Address parsing and classification, the one place for it: the relay's access policy, the
// config's --allow lists, the exposure checker and the config rules all judge addresses here.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type Addr = ipaddr.IPv4 | ipaddr.IPv6;
/** A network: its address and prefix length. */
export type Cidr = [Addr, number];

/** Coarse range of an address. 'other' is reserved, documentation, multicast, ... or not an address. */
export type AddressRange = 'unspecified' | 'loopback' | 'private' | 'cgnat' | 'link-local' | 'public' | 'other';
export type AddressScope = 'loopback' | 'private' | 'link-local' | 'cgnat' | 'unspecified' | 'public';

/** IPv4-mapped IPv6 (::ffff:10.0.0.1, what dual-stack sockets report) becomes plain IPv4. */
function unmap(a: Addr): Addr {
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address();
  return a;
}

/** Parses an address ([brackets] and %zone ids stripped, IPv4-mapped IPv6 unwrapped); undefined if it is none. */
export function parseAddress(text: string): Addr | undefined {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return undefined;
  return unmap(ipaddr.parse(bare));
}

/**
 * Parses a CIDR (a bare address means a single host); an IPv4-mapped IPv6 network becomes the
 * IPv4 network. Throws with a readable message.
 */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  try {
    if (t.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(t);
      const a = unmap(addr);
      return [a, addr.kind() === 'ipv6' && a.kind() === 'ipv4' ? bits - 96 : bits];
    }
    // node's isIP: no ipaddr.js shorthands ("10" is not 0.0.0.10).
    if (isIP(t.replace(/%.*$/, ''))) {
      const a = unmap(ipaddr.parse(t));
      return [a, a.kind() === 'ipv4' ? 32 : 128];
    }
  } catch {
    /* fall through */
  }
  throw new Error(`"${text}" is not an address or CIDR (e.g. 192.168.1.0/24, fd00::/8)`);
}

/** Canonical text of a CIDR or bare address, e.g. "192.168.1.7" -> "192.168.1.7/32". */
export function normaliseCidr(text: string): string {
  const [addr, bits] = parseCidr(text);
  return `${addr.toString()}/${bits}`;
}

/** True when the address is inside one of the networks (CIDR text or parsed). */
export function inNetworks(address: string, networks: readonly (string | Cidr)[]): boolean {
  const a = parseAddress(address);
  if (!a) return false;
  return networks.some((n) => {
    const [net, bits] = typeof n === 'string' ? parseCidr(n) : n;
    return a.kind() === net.kind() && a.match(net as never, bits);
  });
}

/** Range of an address, after parseAddress. */
export function addressRange(address: string | Addr): AddressRange {
  const ip = typeof address === 'string' ? parseAddress(address) : unmap(address);
  if (!ip) return 'other';
  switch (ip.range()) {
    case 'unspecified':
      return 'unspecified';
    case 'loopback':
      return 'loopback';
    case 'private':
    case 'uniqueLocal':
      return 'private';
    case 'carrierGradeNat':
      return 'cgnat';
    case 'linkLocal':
      return 'link-local';
    case 'unicast':
      return 'public';
    default:
      // reserved, documentation, multicast, broadcast, 6to4 ...: not reachable as an ordinary host.
      return 'other';
  }
}

/** Like addressRange, but anything not in a known non-public range (or not an address) counts as public. */
export function addressScope(address: string): AddressScope {
  const r = addressRange(address);
  return r === 'other' ? 'public' : r;
}

/** True for addresses in a known non-Internet range: RFC 1918, ULA, CGNAT, loopback, link-local, unspecified. */
export function isPrivateAddress(address: string | Addr): boolean {
  const r = addressRange(address);
  return r !== 'public' && r !== 'other';
}

/** True for everything that is not an ordinary public unicast address (reserved ranges and non-addresses included). */
export function isNonPublic(address: string): boolean {
  return addressRange(address) !== 'public';
}

export function isCgnat(address: string): boolean {
  return addressRange(address) === 'cgnat';
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && addressScope(host) === 'loopback';
}
