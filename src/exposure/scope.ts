// Address scope: where a bound or resolved address can be reached from. The scopes match the
// contract's listener scopes; CGNAT (100.64/10) is its own range because it means "behind the
// ISP's NAT", which changes what an inside test can conclude.
import ipaddr from 'ipaddr.js';

export type ListenerScope = 'loopback' | 'lan' | 'all' | 'public';
export type AddressRange = 'unspecified' | 'loopback' | 'private' | 'cgnat' | 'link-local' | 'public' | 'other';

/** Parses an address, unwrapping IPv4-mapped IPv6 (::ffff:10.0.0.1 is 10.0.0.1). */
export function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return undefined;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed;
}

/** Coarse range of an address, the facts the exposure verdict needs. */
export function addressRange(address: string): AddressRange {
  const ip = parseAddress(address);
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

/** Scope of a listening socket's bind address. Documentation/reserved ranges count as LAN. */
export function listenerScope(address: string): ListenerScope {
  if (address === '*') return 'all';
  switch (addressRange(address)) {
    case 'unspecified':
      return 'all';
    case 'loopback':
      return 'loopback';
    case 'public':
      return 'public';
    default:
      return 'lan';
  }
}

/** True for addresses that are never routed on the Internet: RFC 1918, ULA, CGNAT, loopback, link-local. */
export function isNonPublic(address: string): boolean {
  const r = addressRange(address);
  return r !== 'public';
}

export function isCgnat(address: string): boolean {
  return addressRange(address) === 'cgnat';
}
