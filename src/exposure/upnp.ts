// UPnP IGD survey: discover, read the description, ask the WAN address, list the mappings.
import { discoverIgd, type SsdpOptions } from './ssdp.js';
import { fetchDescription, getExternalIp, listPortMappings, type PortMapping } from './igd.js';

/** A router mapping as reported (enabled and remoteHost left out), marked when it forwards SMTP. */
export type UpnpMapping = Omit<PortMapping, 'enabled' | 'remoteHost'> & { smtp: boolean };

export interface UpnpSurvey {
  /** Device description URL of the gateway that answered, or null when none did. */
  gateway: string | null;
  friendlyName?: string;
  serviceType?: string;
  externalAddress: string | null;
  mappings: UpnpMapping[];
  /** How the mapping walk ended (the router's error for the first missing index). */
  listEndedWith?: string;
  error?: string;
}

export function markSmtp(m: PortMapping, ports: readonly number[]): UpnpMapping {
  const smtp = m.protocol === 'TCP' && (ports.includes(m.externalPort) || ports.includes(m.internalPort));
  const { protocol, externalPort, internalClient, internalPort, description, leaseSeconds } = m;
  return { protocol, externalPort, internalClient, internalPort, description, leaseSeconds, smtp };
}

export async function surveyUpnp(ports: readonly number[], timeoutMs: number, ssdp: Partial<SsdpOptions> = {}): Promise<UpnpSurvey> {
  const found = await discoverIgd({ timeoutMs: Math.min(timeoutMs, 3000), ...ssdp });
  if (found.length === 0) return { gateway: null, externalAddress: null, mappings: [] };
  const errors: string[] = [];
  for (const r of found) {
    try {
      const desc = await fetchDescription(r.location, timeoutMs);
      const svc = desc.services[0];
      if (!svc) { errors.push(`${r.location}: no WAN connection service`); continue; }
      const externalAddress = (await getExternalIp(svc, timeoutMs)) ?? null;
      const list = await listPortMappings(svc, timeoutMs);
      return {
        gateway: r.location, friendlyName: desc.friendlyName, serviceType: svc.serviceType, externalAddress,
        mappings: list.mappings.map((m) => markSmtp(m, ports)), listEndedWith: list.endedWith,
      };
    } catch (e) {
      errors.push(`${r.location}: ${(e as Error).message}`);
    }
  }
  return { gateway: found[0]!.location, externalAddress: null, mappings: [], error: errors.join('; ') };
}
