// Address scope: where a bound or resolved address can be reached from. The scopes match the
// contract's listener scopes; CGNAT (100.64/10) is its own range because it means "behind the
// ISP's NAT", which changes what an inside test can conclude.
import { addressRange } from '../core/address.js';

// Parsing and ranges live in core/address.ts; re-exported for the exposure code that imports them here.
export { addressRange, isCgnat, isNonPublic, parseAddress, type AddressRange } from '../core/address.js';

export type ListenerScope = 'loopback' | 'lan' | 'all' | 'public';

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
