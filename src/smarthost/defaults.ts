// Defaults the wizard proposes, read from this machine: the LAN address and subnet, the host
// name, and (via detect.ts) the installed MTA.
import { hostname as osHostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { addressRange } from '../core/address.js';
import { parseLanCidr } from './answers.js';

export interface LanGuess {
  address: string;
  cidr: string;
  iface: string;
}

/** The first private IPv4 address on a non-loopback interface, with its network. */
export function guessLan(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): LanGuess | undefined {
  for (const [name, list] of Object.entries(ifaces)) {
    for (const i of list ?? []) {
      if (i.internal || i.family !== 'IPv4' || !i.cidr) continue;
      if (addressRange(i.address) !== 'private') continue;
      try {
        return { address: i.address, cidr: parseLanCidr(i.cidr), iface: name };
      } catch {
        /* not a usable LAN network */
      }
    }
  }
  return undefined;
}

export function guessHostname(): string {
  return osHostname();
}
