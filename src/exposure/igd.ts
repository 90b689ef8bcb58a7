// UPnP IGD over plain HTTP: fetch the device description, find the WAN connection service,
// ask GetExternalIPAddress and walk GetGenericPortMappingEntry from index 0 until the router
// answers with an error (713 SpecifiedArrayIndexInvalid, or any fault) or a safety cap.
import http from 'node:http';
import { escapeXml, xmlElements, xmlText } from './xml.js';

export interface IgdService {
  serviceType: string;
  controlUrl: string;
}

export interface PortMapping {
  protocol: string;
  externalPort: number;
  internalClient: string;
  internalPort: number;
  description: string;
  leaseSeconds: number;
  enabled: boolean;
  remoteHost: string;
}

export type SoapResult = { ok: true; values: Record<string, string> } | { ok: false; status: number; errorCode?: number; errorDescription?: string };

const WAN_SERVICES = /^urn:schemas-upnp-org:service:(WANIPConnection:[12]|WANPPPConnection:1)$/;
const MAX_BODY = 1024 * 1024;
export const MAX_MAPPINGS = 1024;

function request(url: string, timeoutMs: number, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (body.length > MAX_BODY) req.destroy(new Error('response too large'));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The WAN connection services in a device description, with absolute control URLs. */
export function parseDeviceDescription(xml: string, location: string): { friendlyName?: string; services: IgdService[] } {
  const base = xmlText(xml, 'URLBase') || location;
  const services: IgdService[] = [];
  for (const svc of xmlElements(xml, 'service')) {
    const serviceType = xmlText(svc, 'serviceType') ?? '';
    const control = xmlText(svc, 'controlURL');
    if (!WAN_SERVICES.test(serviceType) || !control) continue;
    services.push({ serviceType, controlUrl: new URL(control, base).toString() });
  }
  // Prefer WANIPConnection:2, then :1, then PPP: the order routers expect clients to try.
  services.sort((a, b) => rank(a.serviceType) - rank(b.serviceType));
  return { friendlyName: xmlText(xml, 'friendlyName'), services };
}

function rank(type: string): number {
  return type.endsWith('WANIPConnection:2') ? 0 : type.endsWith('WANIPConnection:1') ? 1 : 2;
}

export async function fetchDescription(location: string, timeoutMs: number): Promise<{ friendlyName?: string; services: IgdService[] }> {
  const res = await request(location, timeoutMs);
  if (res.status !== 200) throw new Error(`device description ${location} answered HTTP ${res.status}`);
  return parseDeviceDescription(res.body, location);
}

export function soapEnvelope(serviceType: string, action: string, args: Record<string, string | number>): string {
  const params = Object.entries(args).map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join('');
  return '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
    + `<s:Body><u:${action} xmlns:u="${serviceType}">${params}</u:${action}></s:Body></s:Envelope>\r\n`;
}

/** Parses a SOAP reply: the action response's child elements, or the UPnPError. */
export function parseSoapReply(status: number, body: string, action: string): SoapResult {
  const response = xmlElements(body, `${action}Response`)[0];
  if (status === 200 && response !== undefined) {
    const values: Record<string, string> = {};
    for (const m of response.matchAll(/<(?:[\w.-]+:)?([\w.-]+)(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?\1\s*>/g)) {
      values[m[1]!] = xmlText(m[0], m[1]!) ?? '';
    }
    return { ok: true, values };
  }
  const code = xmlText(body, 'errorCode');
  return { ok: false, status, errorCode: code ? Number(code) : undefined, errorDescription: xmlText(body, 'errorDescription') };
}

export async function soapCall(svc: IgdService, action: string, args: Record<string, string | number>, timeoutMs: number): Promise<SoapResult> {
  const body = soapEnvelope(svc.serviceType, action, args);
  const res = await request(svc.controlUrl, timeoutMs, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${svc.serviceType}#${action}"`, 'Content-Length': String(Buffer.byteLength(body)) },
    body,
  });
  return parseSoapReply(res.status, res.body, action);
}

export async function getExternalIp(svc: IgdService, timeoutMs: number): Promise<string | undefined> {
  const r = await soapCall(svc, 'GetExternalIPAddress', {}, timeoutMs);
  return r.ok ? r.values.NewExternalIPAddress || undefined : undefined;
}

export function mappingFromValues(v: Record<string, string>): PortMapping {
  return {
    protocol: (v.NewProtocol ?? '').toUpperCase(),
    externalPort: Number(v.NewExternalPort ?? 0),
    internalClient: v.NewInternalClient ?? '',
    internalPort: Number(v.NewInternalPort ?? 0),
    description: v.NewPortMappingDescription ?? '',
    leaseSeconds: Number(v.NewLeaseDuration ?? 0),
    enabled: v.NewEnabled === undefined ? true : v.NewEnabled === '1' || v.NewEnabled.toLowerCase() === 'true',
    remoteHost: v.NewRemoteHost ?? '',
  };
}

/** All port mappings: GetGenericPortMappingEntry(0, 1, ...) until the first error. */
export async function listPortMappings(svc: IgdService, timeoutMs: number): Promise<{ mappings: PortMapping[]; endedWith?: string }> {
  const mappings: PortMapping[] = [];
  for (let i = 0; i < MAX_MAPPINGS; i++) {
    const r = await soapCall(svc, 'GetGenericPortMappingEntry', { NewPortMappingIndex: i }, timeoutMs);
    if (!r.ok) return { mappings, endedWith: `${r.errorCode ?? `HTTP ${r.status}`} ${r.errorDescription ?? ''}`.trim() };
    mappings.push(mappingFromValues(r.values));
  }
  return { mappings, endedWith: `stopped after ${MAX_MAPPINGS} entries` };
}
