// TLS material for the simulator: a throwaway CA and a server certificate it signs, made with
// the selfsigned library (no hand-written ASN.1). Clients verify against the CA, as they would
// against a real public CA, so name checks (SANs) are exercised too. Generated once per process
// and set of names. ECDSA P-256 keys: fast to make, and every client we test accepts them.
import { isIP } from 'node:net';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const cache = new Map<string, Promise<TlsMaterial>>();

function keyOpts(keyType: KeyType): { keyType: 'ec'; curve: 'P-256' } | { keyType: 'rsa'; keySize: number } {
  return keyType === 'rsa' ? { keyType: 'rsa', keySize: 2048 } : { keyType: 'ec', curve: 'P-256' };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Valid from an hour ago for `days` (fractions allowed; 0 or less gives an expired certificate). */
function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const notAfter = Date.now() + days * DAY_MS;
  const notBefore = Math.min(Date.now() - 60 * 60 * 1000, notAfter - DAY_MS);
  return { notBeforeDate: new Date(notBefore), notAfterDate: new Date(notAfter) };
}

function altNames(hostname: string, extra: string[]): Array<{ type: 2 | 7; value?: string; ip?: string }> {
  const names = new Map<string, { type: 2 | 7; value?: string; ip?: string }>();
  for (const n of ['localhost', '127.0.0.1', '::1', hostname, ...extra]) {
    if (!n) continue;
    names.set(n.toLowerCase(), isIP(n) ? { type: 7, ip: n } : { type: 2, value: n });
  }
  return [...names.values()];
}

export type KeyType = 'ec' | 'rsa';

export interface TlsRequest {
  hostname: string;
  /** More SANs: names or addresses. */
  extra?: string[];
  keyType?: KeyType;
  /** Server certificate lifetime in days (default 365); small values rehearse an expiring certificate. */
  validDays?: number;
}

async function make(hostname: string, extra: string[], keyType: KeyType, validDays: number): Promise<TlsMaterial> {
  // loaded on demand: the library takes a good half second to import
  const { generate } = await import('selfsigned');
  const ca = await generate([{ name: 'commonName', value: 'omr simulate test CA' }, { name: 'organizationName', value: 'omr-cli' }], {
    ...keyOpts(keyType),
    algorithm: 'sha256',
    ...validity(Math.max(validDays, 365)),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: hostname }], {
    ...keyOpts(keyType),
    algorithm: 'sha256',
    ...validity(validDays),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(hostname, extra) },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
}

/** Addresses worth a SAN: specific listen addresses, not wildcards. */
export function specificAddresses(hosts: Array<string | undefined>): string[] {
  return hosts.filter((h): h is string => !!h && h !== '0.0.0.0' && h !== '::');
}

/** CA + server certificate (SANs: localhost, 127.0.0.1, ::1, hostname and `extra` names/addresses). */
export function generateTls(req: TlsRequest): Promise<TlsMaterial> {
  const { hostname, keyType = 'ec', validDays = 365 } = req;
  const extra = [...new Set(req.extra ?? [])];
  const key = [keyType, validDays, hostname, ...extra.sort()].join(' ');
  let p = cache.get(key);
  if (!p) {
    p = make(hostname, extra, keyType, validDays);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
