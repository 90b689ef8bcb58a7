// TLS material for the simulator: a throwaway CA and a server certificate it signs, made with
// the selfsigned library (no hand-written ASN.1). Clients verify against the CA, as they would
// against a real public CA, so name checks (SANs) are exercised too. Generated once per process
// and host name, because RSA key generation costs a noticeable fraction of a second.
import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const cache = new Map<string, Promise<TlsMaterial>>();

function validity(): { notBeforeDate: Date; notAfterDate: Date } {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  return { notBeforeDate, notAfterDate };
}

function altNames(hostname: string): Array<{ type: 2 | 7; value?: string; ip?: string }> {
  const names = new Map<string, { type: 2 | 7; value?: string; ip?: string }>();
  for (const n of ['localhost', '127.0.0.1', '::1', hostname]) {
    if (!n) continue;
    names.set(n.toLowerCase(), isIP(n) ? { type: 7, ip: n } : { type: 2, value: n });
  }
  return [...names.values()];
}

async function make(hostname: string): Promise<TlsMaterial> {
  const ca = await generate([{ name: 'commonName', value: 'omr simulate test CA' }, { name: 'organizationName', value: 'omr-cli' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    ...validity(),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(hostname) },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
}

/** CA + server certificate for `hostname` (SANs: localhost, 127.0.0.1, ::1, hostname). */
export function generateTls(hostname: string): Promise<TlsMaterial> {
  let p = cache.get(hostname);
  if (!p) {
    p = make(hostname);
    p.catch(() => cache.delete(hostname));
    cache.set(hostname, p);
  }
  return p;
}
