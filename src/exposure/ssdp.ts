// SSDP discovery of UPnP Internet Gateway Devices: one M-SEARCH to the multicast group (or a
// given unicast address, for tests), answers collected until the deadline.
import dgram from 'node:dgram';

export interface SsdpResponse {
  location: string;
  st: string;
  server?: string;
  usn?: string;
  from: string;
}

export interface SsdpOptions {
  timeoutMs: number;
  /** Where to send the M-SEARCH; default the SSDP multicast group 239.255.255.250:1900. */
  address?: string;
  port?: number;
  /** How long to keep listening after the first answer (default 400 ms). */
  settleMs?: number;
}

export const IGD_SEARCH_TARGETS = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
];

export function mSearch(st: string, address: string, port: number, mx: number): string {
  return ['M-SEARCH * HTTP/1.1', `HOST: ${address}:${port}`, 'MAN: "ssdp:discover"', `MX: ${mx}`, `ST: ${st}`, '', ''].join('\r\n');
}

/** Parses an SSDP (HTTP-over-UDP) response; headers are case-insensitive. */
export function parseSsdpResponse(text: string, from: string): SsdpResponse | undefined {
  const [status, ...rest] = text.split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200/i.test(status ?? '')) return undefined;
  const h: Record<string, string> = {};
  for (const l of rest) {
    const i = l.indexOf(':');
    if (i > 0) h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  if (!h.location) return undefined;
  return { location: h.location, st: h.st ?? '', server: h.server, usn: h.usn, from };
}

/** Sends the IGD searches and returns distinct responses (by location) seen before the deadline. */
export function discoverIgd(opts: SsdpOptions): Promise<SsdpResponse[]> {
  const address = opts.address ?? '239.255.255.250';
  const port = opts.port ?? 1900;
  const mx = Math.max(1, Math.min(5, Math.floor(opts.timeoutMs / 1000)));
  const found = new Map<string, SsdpResponse>();
  return new Promise((resolve) => {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const done = (): void => {
      clearTimeout(timer);
      sock.close();
      resolve([...found.values()]);
    };
    let timer = setTimeout(done, opts.timeoutMs);
    let settling = false;
    sock.on('error', done);
    sock.on('message', (msg, rinfo) => {
      const r = parseSsdpResponse(msg.toString('utf8'), rinfo.address);
      if (!r || found.has(r.location)) return;
      found.set(r.location, r);
      // Gateways answer within milliseconds of each other; no need to sit out the whole window.
      if (!settling) {
        settling = true;
        clearTimeout(timer);
        timer = setTimeout(done, Math.min(opts.settleMs ?? 400, opts.timeoutMs));
      }
    });
    sock.bind(0, () => {
      try {
        sock.setMulticastTTL(2);
      } catch {
        // unicast target: TTL does not matter
      }
      for (const st of IGD_SEARCH_TARGETS) sock.send(mSearch(st, address, port, mx), port, address);
    });
  });
}
