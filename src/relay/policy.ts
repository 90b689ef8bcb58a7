// Who may use the relay: an allowlist of CIDRs, plus a second gate that refuses sources outside
// private/loopback ranges unless the operator explicitly opts in. Pure; unit-tested.
import { inNetworks, isPrivateAddress, parseAddress, parseCidr, type Cidr } from '../core/address.js';

// Kept importable from here: the relay code and its tests use these names.
export { isPrivateAddress, parseAddress, parseCidr };

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
      return !isPrivateAddress(addr) || (addr.kind() === 'ipv4' ? bits < 8 : bits < 7);
    });
  }

  admit(remote: string): AdmitDecision {
    const a = parseAddress(remote);
    if (!a) return { ok: false, reason: 'bad-address' };
    const listed = inNetworks(remote, this.cidrs);
    if (!listed) return { ok: false, reason: 'not-allowed' };
    if (!this.allowPublic && !isPrivateAddress(a)) return { ok: false, reason: 'public-source' };
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
