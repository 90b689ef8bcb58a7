// Address classification shared by the relay's access policy and the exposure checker.
import ipaddr from 'ipaddr.js';

export type AddressScope = 'loopback' | 'private' | 'link-local' | 'cgnat' | 'unspecified' | 'public';

/** Scope of an IP address; IPv4-mapped IPv6 addresses are judged as IPv4. */
export function addressScope(address: string): AddressScope {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.process(address.replace(/%.*$/, ''));
  } catch {
    return 'public';
  }
  switch (a.range()) {
    case 'loopback':
      return 'loopback';
    case 'private':
    case 'uniqueLocal':
      return 'private';
    case 'linkLocal':
      return 'link-local';
    case 'carrierGradeNat':
      return 'cgnat';
    case 'unspecified':
      return 'unspecified';
    default:
      return 'public';
  }
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && addressScope(host) === 'loopback';
}

/** True when the address is inside one of the CIDR networks. */
export function inNetworks(address: string, networks: readonly string[]): boolean {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.process(address.replace(/%.*$/, ''));
  } catch {
    return false;
  }
  for (const n of networks) {
    const [net, bits] = ipaddr.parseCIDR(n);
    if (a.kind() === net.kind() && a.match(net, bits)) return true;
  }
  return false;
}
