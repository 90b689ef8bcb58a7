// Outside mode as a result model: resolve TARGET, probe each port, turn facts into checks,
// one exposure value, reasons and fixes. The caller renders; nothing here prints.
import { lookup } from 'node:dns/promises';
import type { Check, CommandResult } from '../core/result.js';
import { probePort, type PortExposure, type PortProbe } from './outside.js';
import { addressRange } from '../core/address.js';

export interface OutsideOptions {
  target: string;
  ports: number[];
  timeoutMs: number;
  relayTest: boolean;
  /** For tests: resolve names without DNS. */
  resolve?: (host: string) => Promise<string[]>;
  onProgress?: (text: string) => void;
}

export interface OutsideData {
  mode: 'outside';
  target: string;
  addresses: string[];
  address?: string;
  targetRange?: string;
  /** True when TARGET is private/loopback: the result proves reachability from here only. */
  fromHereOnly: boolean;
  exposure: PortExposure;
  ports: PortProbe[];
  reasons: string[];
  fixes: string[];
}

const RANK: Record<PortExposure, number> = { 'not-reachable': 0, inconclusive: 1, 'reachable-auth-required': 2, 'reachable-relay-refused': 3, 'open-relay': 4 };

export function worstExposure(list: PortExposure[]): PortExposure {
  return list.reduce<PortExposure>((w, e) => (RANK[e] > RANK[w] ? e : w), 'not-reachable');
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

export async function checkOutside(opts: OutsideOptions): Promise<CommandResult<OutsideData>> {
  const checks: Check[] = [];
  opts = { ...opts, target: opts.target.replace(/^\[(.*)\]$/, '$1') };
  const data: OutsideData = { mode: 'outside', target: opts.target, addresses: [], fromHereOnly: false, exposure: 'inconclusive', ports: [], reasons: [], fixes: [] };
  const t0 = performance.now();
  try {
    data.addresses = await (opts.resolve ?? defaultResolve)(opts.target);
    if (data.addresses.length === 0) throw new Error('no addresses');
  } catch (e) {
    checks.push({ id: 'dns', status: 'fail', durationMs: ms(t0), summary: `cannot resolve ${opts.target}: ${(e as Error).message}`, hint: 'Give the public host name or IP address of the office gateway.' });
    data.reasons.push(`${opts.target} does not resolve, so nothing was tested`);
    return { checks, data };
  }
  const address = data.addresses[0]!;
  data.address = address;
  data.targetRange = addressRange(address);
  checks.push({ id: 'dns', status: 'pass', durationMs: ms(t0), summary: `${opts.target} resolves to ${data.addresses.join(', ')}`, detail: { addresses: data.addresses } });
  checks.push(scopeCheck(opts.target, address, data));
  opts.onProgress?.(`probing ${address} on ports ${opts.ports.join(', ')}`);
  data.ports = await Promise.all(opts.ports.map((port) => probePort({ host: opts.target, ip: address, port, timeoutMs: opts.timeoutMs, relayTest: opts.relayTest })));
  for (const p of data.ports) checks.push(...portChecks(p, opts.relayTest));
  data.exposure = worstExposure(data.ports.map((p) => p.exposure));
  explain(data);
  return { checks, data };
}

function ms(t0: number): number {
  return Math.round(performance.now() - t0);
}

const RANGE_LABELS: Record<string, string> = {
  private: 'a private address', loopback: 'a loopback address', cgnat: 'a carrier-grade NAT address (100.64.0.0/10)',
  'link-local': 'a link-local address', unspecified: 'the unspecified address', other: 'a reserved or special-purpose address',
};

function rangeLabel(range: string | undefined): string {
  return RANGE_LABELS[range ?? 'other'] ?? 'not a public address';
}

function scopeCheck(target: string, address: string, data: OutsideData): Check {
  if (data.targetRange === 'public') return { id: 'target-scope', status: 'pass', summary: `${address} is a public address` };
  data.fromHereOnly = true;
  return {
    id: 'target-scope', status: 'warn', summary: `${target} is ${address}, ${rangeLabel(data.targetRange)}: this only proves reachability from here, not from the Internet`,
    hint: 'Run the same command from outside the office network (a CI job, a phone hotspot) against the public IP or name.',
  };
}

export function portChecks(p: PortProbe, relayTest: boolean): Check[] {
  const checks: Check[] = [];
  const closed = p.tcp === 'refused' || p.tcp === 'filtered';
  checks.push({
    id: `tcp:${p.port}`, status: closed ? 'pass' : 'warn', durationMs: p.connectMs,
    summary: closed ? `port ${p.port} ${p.tcp} (not reachable)` : p.tcp === 'open' ? `port ${p.port} open` : `port ${p.port}: ${p.tcpError}`,
    detail: { state: p.tcp, error: p.tcpError },
  });
  if (p.tcp !== 'open') return checks;
  checks.push(p.banner
    ? { id: `banner:${p.port}`, status: 'fail', summary: `SMTP answered from outside: ${p.banner}`, hint: `Remove the port forward for ${p.port} on the router or firewall it; the gateway must only be reachable from the LAN.` }
    : { id: `banner:${p.port}`, status: 'warn', summary: p.reason, hint: 'Something accepts connections on this port; check the router\'s port forwards.' });
  if (p.ehlo) {
    checks.push({ id: `ehlo:${p.port}`, status: p.ehlo.code === 250 ? 'pass' : 'warn', summary: p.ehlo.code === 250 ? `EHLO accepted${p.tls === 'none' ? '' : ` over ${p.tls === 'implicit' ? 'implicit TLS' : 'STARTTLS'}`}${p.capabilities.length ? `; offers ${p.capabilities.join(', ')}` : ''}` : `EHLO refused: ${p.ehlo.lines.join(' ')}`, detail: { tls: p.tls } });
  }
  for (const [id, d] of [['vrfy', p.vrfy], ['expn', p.expn]] as const) {
    if (!d) continue;
    checks.push({ id: `${id}:${p.port}`, status: d.exposed ? 'warn' : 'pass', summary: d.exposed ? `${d.command} discloses addresses: ${d.reply}` : `${d.command} discloses nothing: ${d.reply}`, hint: d.exposed ? `Disable ${id.toUpperCase()} (Postfix: disable_vrfy_command = yes).` : undefined });
  }
  if (p.ehlo?.code === 250) checks.push(relayCheck(p, relayTest));
  return checks;
}

function relayCheck(p: PortProbe, relayTest: boolean): Check {
  const id = `relay:${p.port}`;
  if (!relayTest || !p.relay) return { id, status: 'skip', summary: 'relay test skipped (--no-relay-test)' };
  const detail = { tested: p.relay.tested, stoppedBy: p.relay.stoppedBy, variants: p.relay.variants };
  if (p.exposure === 'open-relay') return { id, status: 'fail', summary: `OPEN RELAY: ${p.reason}`, detail, hint: 'Close the port forward now and allow only LAN clients on the relay; an open relay gets the OMR account suspended.' };
  if (p.exposure === 'inconclusive') return { id, status: 'warn', summary: p.reason, detail };
  return { id, status: 'pass', summary: p.reason, detail };
}

function explain(data: OutsideData): void {
  for (const p of data.ports) {
    if (p.exposure !== 'not-reachable') data.reasons.push(`port ${p.port}: ${p.reason}`);
  }
  if (data.exposure === 'not-reachable') {
    data.reasons.push(`no port of ${data.ports.map((p) => p.port).join(', ')} accepted a connection from here`);
  }
  if (data.fromHereOnly) data.reasons.push(`${data.target} is ${rangeLabel(data.targetRange)}, so this proves reachability from this network only`);
  const open = data.ports.filter((p) => p.tcp === 'open').map((p) => p.port);
  if (data.exposure === 'open-relay') {
    data.fixes.push(`Now: remove the router's port forward (or UPnP mapping) for port ${open.join(', ')}; an open relay is used for spam within hours and gets the OMR account suspended.`);
    data.fixes.push('Restrict the relay to LAN clients: omr relay keeps its default --allow (private ranges) and never --allow-public-clients; Postfix: mynetworks = the LAN plus smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination.');
  } else if (data.exposure !== 'not-reachable') {
    data.fixes.push(`Remove the router's port forward (or UPnP mapping) for port ${open.join(', ')}, or block it in the firewall: the gateway must only be reachable from the LAN.`);
    data.fixes.push('Turn UPnP off on the router if nothing needs it, so no program can open the port again; then run this check from outside once more.');
  }
}
