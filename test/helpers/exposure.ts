// Peers for the exposure tests: small smtp-server instances that relay anything, refuse to
// relay, or require AUTH; and a fake UPnP IGD (SSDP responder + description + SOAP control).
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PortMapping } from '../../src/exposure/igd.js';

export type SmtpKind = 'open' | 'refuse' | 'auth';

export interface SmtpPeer {
  port: number;
  mailFrom: string[];
  rcptTo: string[];
  dataCount: number;
  close(): Promise<void>;
}

export const LOCAL_DOMAIN = 'lan.example';

/** Starts an SMTP server of this kind on host:port (0 = any free port). */
export async function startSmtp(kind: SmtpKind, opts: { host?: string; port?: number; secure?: boolean } = {}): Promise<SmtpPeer> {
  const peer: SmtpPeer = { port: 0, mailFrom: [], rcptTo: [], dataCount: 0, close: async () => {} };
  const options: SMTPServerOptions = {
    name: `mail.${LOCAL_DOMAIN}`,
    secure: opts.secure ?? false,
    logger: false,
    authOptional: kind !== 'auth',
    disabledCommands: kind === 'auth' ? [] : ['AUTH'],
    onAuth: (_auth, _session, cb) => cb(new Error('no accounts here')),
    onMailFrom: (addr, _s, cb) => { peer.mailFrom.push(addr.address); cb(); },
    onRcptTo: (addr, _s, cb) => {
      peer.rcptTo.push(addr.address);
      if (kind === 'refuse' && !addr.address.toLowerCase().endsWith(`@${LOCAL_DOMAIN}`)) {
        return cb(Object.assign(new Error('5.7.1 Relaying denied'), { responseCode: 550 }));
      }
      cb();
    },
    onData: (stream, _s, cb) => { peer.dataCount++; stream.resume(); stream.on('end', () => cb()); },
  };
  const server = new SMTPServer(options);
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  peer.port = (server.server.address() as AddressInfo).port;
  peer.close = () => new Promise((resolve) => server.close(() => resolve()));
  return peer;
}

/** A port on 127.0.0.1 that refuses connections (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A mapping the fake router holds: what GetGenericPortMappingEntry reports, less the flags. */
export type FakeMapping = Omit<PortMapping, 'enabled' | 'remoteHost'>;

export interface FakeIgd {
  ssdpPort: number;
  location: string;
  soapActions: string[];
  close(): Promise<void>;
}

const SERVICE = 'urn:schemas-upnp-org:service:WANIPConnection:1';

function description(): string {
  return `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><friendlyName>Fake &amp; Test Router</friendlyName>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/ctl/L3F</controlURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service><serviceType>${SERVICE}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>`;
}

function soapReply(action: string, values: Record<string, string | number>): string {
  const inner = Object.entries(values).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:${action}Response xmlns:u="${SERVICE}">${inner}</u:${action}Response></s:Body></s:Envelope>`;
}

const FAULT_713 = '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>713</errorCode><errorDescription>SpecifiedArrayIndexInvalid</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>';

/** A fake IGD on 127.0.0.1: SSDP answers unicast M-SEARCHes, HTTP serves description and SOAP. */
export async function startFakeIgd(externalIp: string, mappings: FakeMapping[]): Promise<FakeIgd> {
  const soapActions: string[] = [];
  const httpServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/rootDesc.xml') { res.writeHead(200, { 'Content-Type': 'text/xml' }); res.end(description()); return; }
      const action = /#(\w+)"?$/.exec(String(req.headers.soapaction ?? ''))?.[1] ?? '';
      soapActions.push(action);
      if (action === 'GetExternalIPAddress') { res.writeHead(200); res.end(soapReply(action, { NewExternalIPAddress: externalIp })); return; }
      const index = Number(/<NewPortMappingIndex>(\d+)</.exec(body)?.[1] ?? -1);
      const m = mappings[index];
      if (action === 'GetGenericPortMappingEntry' && m) {
        res.writeHead(200);
        res.end(soapReply(action, { NewRemoteHost: '', NewExternalPort: m.externalPort, NewProtocol: m.protocol, NewInternalPort: m.internalPort, NewInternalClient: m.internalClient, NewEnabled: 1, NewPortMappingDescription: m.description, NewLeaseDuration: m.leaseSeconds }));
        return;
      }
      res.writeHead(500, { 'Content-Type': 'text/xml' });
      res.end(FAULT_713);
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  const location = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/rootDesc.xml`;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const st = /^ST:\s*(.+)$/im.exec(msg.toString())?.[1]?.trim() ?? '';
    if (!st.includes('InternetGatewayDevice')) return;
    const reply = `HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: ${st}\r\nUSN: uuid:fake::${st}\r\nEXT:\r\nSERVER: Fake/1.0 UPnP/1.1 Test/1.0\r\nLOCATION: ${location}\r\n\r\n`;
    udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  return {
    ssdpPort: udp.address().port,
    location,
    soapActions,
    close: async () => {
      udp.close();
      await new Promise((r) => httpServer.close(r));
      httpServer.closeAllConnections();
    },
  };
}

/** A raw scripted SMTP server: refuses every RCPT, optionally slow or hanging up after N RCPTs. */
export async function startScripted(opts: { delayMs?: number; hangupAfterRcpts?: number; greeting?: string }): Promise<{ port: number; close(): Promise<void> }> {
  const net = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let rcpts = 0;
    let buf = '';
    const reply = (text: string): void => { setTimeout(() => { if (!sock.destroyed) sock.write(text + '\r\n'); }, opts.delayMs ?? 0); };
    sock.write((opts.greeting ?? '220 scripted.example ESMTP') + '\r\n');
    sock.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const cmd = buf.slice(0, i).toUpperCase();
        buf = buf.slice(i + 2);
        if (cmd.startsWith('EHLO')) reply('250-scripted.example\r\n250 8BITMIME');
        else if (cmd.startsWith('VRFY')) reply('250 <postmaster@scripted.example>');
        else if (cmd.startsWith('EXPN')) reply('502 5.5.1 not here');
        else if (cmd.startsWith('MAIL')) reply('250 2.1.0 Ok');
        else if (cmd.startsWith('RCPT')) {
          rcpts++;
          if (opts.hangupAfterRcpts !== undefined && rcpts > opts.hangupAfterRcpts) { sock.end('421 4.7.0 Too many errors\r\n'); return; }
          reply('554 5.7.1 Relay access denied');
        } else if (cmd.startsWith('RSET')) reply('250 2.0.0 Ok');
        else if (cmd.startsWith('QUIT')) { sock.end('221 Bye\r\n'); return; }
        else reply('502 5.5.2 Error: command not recognized');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
