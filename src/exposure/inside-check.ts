// Inside mode as a result model: which sockets listen on SMTP ports and on what addresses, what
// the router forwards over UPnP, where the NAT sits, and the plain limit of an inside test.
import type { Check, CommandResult } from '../core/result.js';
import { formatHostPort } from '../core/parse.js';
import { listListeners, type Listener, type ListenerInventory } from './listeners.js';
import { classifyNat, hostAddresses, type NatFacts } from './nat.js';
import type { SsdpOptions } from './ssdp.js';
import { surveyUpnp, type UpnpSurvey } from './upnp.js';

export interface InsideOptions {
  ports: number[];
  timeoutMs: number;
  upnp: boolean;
  /** For tests: SSDP target instead of the multicast group; inventories instead of the OS. */
  ssdp?: Partial<SsdpOptions>;
  inventory?: () => Promise<ListenerInventory>;
  hostAddresses?: string[];
  onProgress?: (text: string) => void;
}

export interface InsideData {
  mode: 'inside';
  exposure: 'inconclusive';
  ports: number[];
  listenerSource: ListenerInventory['source'];
  listeners: Listener[];
  upnp: Pick<UpnpSurvey, 'gateway' | 'externalAddress' | 'mappings'> & { error?: string } | null;
  nat: NatFacts;
  outsideCommand: string;
  reasons: string[];
  fixes: string[];
}

export const HAIRPIN_NOTE = 'An inside test cannot prove outside reachability: many routers loop connections to their own WAN address back inside (hairpin NAT), and others drop them, so only a test from outside the network is proof.';

export async function checkInside(opts: InsideOptions): Promise<CommandResult<InsideData>> {
  opts.onProgress?.('listing listening sockets');
  const inv = await (opts.inventory ?? listListeners)();
  const listeners = inv.listeners.filter((l) => opts.ports.includes(l.port));
  let survey: UpnpSurvey | null = null;
  if (opts.upnp) {
    opts.onProgress?.('looking for a UPnP gateway');
    survey = await surveyUpnp(opts.ports, opts.timeoutMs, opts.ssdp).catch((e: Error) => ({ gateway: null, externalAddress: null, mappings: [], error: e.message }));
  }
  const nat = classifyNat(opts.hostAddresses ?? hostAddresses(), survey?.externalAddress ?? undefined);
  const outsideCommand = `npx omr-cli check-exposure ${survey?.externalAddress ?? '<your-public-ip-or-name>'}`;
  const data: InsideData = {
    mode: 'inside', exposure: 'inconclusive', ports: opts.ports, listenerSource: inv.source, listeners,
    upnp: survey && { gateway: survey.gateway, externalAddress: survey.externalAddress, mappings: survey.mappings, ...(survey.error ? { error: survey.error } : {}) },
    nat, outsideCommand, reasons: [], fixes: [],
  };
  const checks = [inventoryCheck(inv, listeners, opts.ports), ...listeners.map((l) => listenerCheck(l, nat, data)), ...upnpChecks(survey, opts.upnp, data), natCheck(nat)];
  checks.push({ id: 'outside-test', status: 'skip', summary: `not run from here; from outside the network run: ${outsideCommand}`, detail: { command: outsideCommand }, hint: HAIRPIN_NOTE });
  data.reasons.push(nat.reason);
  return { checks, data };
}

function inventoryCheck(inv: ListenerInventory, listeners: Listener[], ports: number[]): Check {
  if (inv.source === 'none') return { id: 'listeners', status: 'warn', summary: `cannot list listening sockets: ${inv.error}`, hint: 'Run on Linux, or install ss (iproute2) or netstat.' };
  const summary = listeners.length === 0
    ? `nothing listens on ${ports.join(', ')} on this host`
    : `${listeners.length} listener(s) on SMTP ports: ${listeners.map((l) => `${l.address}:${l.port} (${l.scope})`).join(', ')}`;
  return { id: 'listeners', status: 'pass', summary, detail: { source: inv.source } };
}

function listenerCheck(l: Listener, nat: NatFacts, data: InsideData): Check {
  const id = `listener:${formatHostPort({ host: l.address, port: l.port })}`;
  if (l.scope === 'loopback') return { id, status: 'pass', summary: `${l.address}:${l.port} is loopback only` };
  if (l.scope === 'lan') return { id, status: 'pass', summary: `${l.address}:${l.port} is bound to a LAN address` };
  const fix = `Bind the service on port ${l.port} to its LAN address instead of ${l.scope === 'all' ? 'all interfaces' : l.address}.`;
  data.fixes.push(fix);
  if (l.scope === 'public' || nat.position === 'direct') {
    data.reasons.push(`${l.address}:${l.port} is reachable on a public address of this host`);
    return { id, status: 'fail', summary: `${l.address}:${l.port} listens on a public address`, hint: fix };
  }
  return { id, status: 'warn', summary: `${l.address}:${l.port} listens on all interfaces`, hint: fix };
}

function upnpChecks(survey: UpnpSurvey | null, enabled: boolean, data: InsideData): Check[] {
  if (!enabled || !survey) return [{ id: 'upnp', status: 'skip', summary: 'UPnP survey skipped (--no-upnp)' }];
  if (!survey.gateway) return [{ id: 'upnp', status: 'pass', summary: 'no UPnP gateway answered (routers without UPnP cannot be asked for port forwards; check them by hand)' }];
  if (survey.error) return [{ id: 'upnp', status: 'warn', summary: `UPnP gateway ${survey.gateway} found but not readable: ${survey.error}` }];
  const smtp = survey.mappings.filter((m) => m.smtp);
  const checks: Check[] = [{
    id: 'upnp', status: 'pass', summary: `UPnP gateway ${survey.gateway}: WAN address ${survey.externalAddress ?? 'unknown'}, ${survey.mappings.length} port mapping(s), ${smtp.length} for SMTP`,
    detail: { gateway: survey.gateway, friendlyName: survey.friendlyName, serviceType: survey.serviceType, listEndedWith: survey.listEndedWith },
  }];
  for (const m of smtp) {
    const what = `${m.protocol} ${m.externalPort} -> ${m.internalClient}:${m.internalPort}${m.description ? ` ("${m.description}")` : ''}`;
    data.reasons.push(`the router forwards ${what} from the Internet (UPnP)`);
    data.fixes.push(`Delete the UPnP mapping ${m.protocol} ${m.externalPort} (upnpc -d ${m.externalPort} ${m.protocol}, or the router's UPnP page) and turn UPnP off if nothing needs it.`);
    checks.push({ id: `upnp:${m.protocol}:${m.externalPort}`, status: 'fail', summary: `router forwards SMTP port: ${what}`, detail: { ...m }, hint: `Delete this mapping; then run the outside test to confirm.` });
  }
  return checks;
}

function natCheck(nat: NatFacts): Check {
  const detail = { position: nat.position, externalAddress: nat.externalAddress, hostAddresses: nat.hostAddresses };
  if (nat.position === 'unknown') return { id: 'nat', status: 'skip', summary: nat.reason, detail };
  if (nat.position === 'direct') return { id: 'nat', status: 'warn', summary: nat.reason, detail, hint: 'A host with a public address needs a firewall that drops SMTP ports from outside.' };
  return { id: 'nat', status: 'pass', summary: nat.reason, detail };
}
