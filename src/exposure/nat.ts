// Where this host sits relative to the Internet, from its own addresses and the WAN address its
// router reports over UPnP. CGNAT (100.64/10) on the WAN side means the ISP's NAT sits in front:
// inbound connections cannot reach the office at all, whatever the router forwards.
import { networkInterfaces } from 'node:os';
import { addressRange } from '../core/address.js';

export type NatPosition = 'direct' | 'nat' | 'double-nat' | 'cgnat' | 'unknown';

export interface NatFacts {
  position: NatPosition;
  hostAddresses: string[];
  externalAddress?: string;
  reason: string;
}

/** Non-internal unicast addresses of this host (link-local left out: never routed). */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && addressRange(a.address) !== 'link-local') out.push(a.address);
    }
  }
  return out;
}

export function classifyNat(hostAddrs: string[], externalAddress?: string): NatFacts {
  const base = { hostAddresses: hostAddrs, externalAddress };
  const publicHost = hostAddrs.filter((a) => addressRange(a) === 'public');
  if (externalAddress && hostAddrs.includes(externalAddress) && addressRange(externalAddress) === 'public') {
    return { ...base, position: 'direct', reason: `this host holds the router's WAN address ${externalAddress}` };
  }
  if (publicHost.length > 0) {
    return { ...base, position: 'direct', reason: `this host has a public address (${publicHost.join(', ')}): anything listening on all interfaces is on the Internet` };
  }
  if (!externalAddress) {
    return { ...base, position: 'unknown', reason: 'no router reported its WAN address (UPnP off or not found), so the NAT layout is unknown' };
  }
  switch (addressRange(externalAddress)) {
    case 'public':
      return { ...base, position: 'nat', reason: `behind one NAT: the router's WAN address ${externalAddress} is public` };
    case 'cgnat':
      return { ...base, position: 'cgnat', reason: `behind carrier-grade NAT: the router's WAN address ${externalAddress} is in 100.64.0.0/10, so the ISP's NAT sits in front of it` };
    case 'private':
      return { ...base, position: 'double-nat', reason: `behind double NAT: the router's WAN address ${externalAddress} is itself private` };
    default:
      return { ...base, position: 'unknown', reason: `the router's WAN address ${externalAddress} is not an ordinary unicast address` };
  }
}
