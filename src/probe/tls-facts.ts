// Certificate and session facts after a TLS handshake, in the shape testssl.sh reports them.
import tls from 'node:tls';

export interface CertFacts {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  selfSigned: boolean;
}

export interface TlsFacts {
  protocol: string;
  cipher: string;
  /** Chain verified against Node's store (+ --ca) and the name matched. */
  authorized: boolean;
  authorizationError?: string;
  /** The certificate names the host we connected to. */
  sanMatch: boolean;
  /** Names in the leaf's subjectAltName (DNS:..., IP Address:...). */
  altNames: string[];
  daysToExpiry: number;
  /** Issuer of the leaf, "O / CN". */
  issuer: string;
  /** Leaf first, then up the chain as the server sent it. */
  chain: CertFacts[];
}

const DAY_MS = 86_400_000;

function dn(name: tls.PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  const parts = [name.O, name.CN].flat().filter((x): x is string => typeof x === 'string' && x.length > 0);
  return parts.join(' / ');
}

function certFacts(c: tls.PeerCertificate): CertFacts {
  return {
    subject: dn(c.subject),
    issuer: dn(c.issuer),
    validFrom: new Date(c.valid_from).toISOString(),
    validTo: new Date(c.valid_to).toISOString(),
    fingerprint256: c.fingerprint256,
    selfSigned: c.fingerprint256 === (c as tls.DetailedPeerCertificate).issuerCertificate?.fingerprint256,
  };
}

/** Reads facts from a connected TLS socket; `name` is what the certificate must name. */
export function tlsFacts(socket: tls.TLSSocket, name: string, now: Date = new Date()): TlsFacts {
  const leaf = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate;
  const chain: CertFacts[] = [];
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = leaf; c && c.fingerprint256 && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    chain.push(certFacts(c));
  }
  const hasLeaf = Boolean(leaf && leaf.fingerprint256);
  const sanMatch = hasLeaf && tls.checkServerIdentity(name, leaf) === undefined;
  const err = socket.authorizationError;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    authorized: socket.authorized,
    authorizationError: err ? String(err) : undefined,
    sanMatch,
    altNames: hasLeaf ? (leaf.subjectaltname ?? '').split(',').map((s) => s.trim()).filter(Boolean) : [],
    daysToExpiry: hasLeaf ? Math.floor((new Date(leaf.valid_to).getTime() - now.getTime()) / DAY_MS) : 0,
    issuer: hasLeaf ? dn(leaf.issuer) : '',
    chain,
  };
}

/** One-line description: "TLSv1.3 TLS_AES_256_GCM_SHA384, cert for 127.0.0.1 by omr-cli test CA, 364 days left". */
export function describeTls(f: TlsFacts): string {
  const who = f.chain[0]?.subject ? `cert ${f.chain[0].subject}` : 'no certificate';
  return `${f.protocol} ${f.cipher}, ${who} issued by ${f.issuer || '?'}, expires in ${f.daysToExpiry} days`;
}

/** Plain-language reason for an authorization error code. */
export function explainTlsError(code: string | undefined): string {
  switch (code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'the certificate is for a different host name';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'the certificate is self-signed';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'the certificate is signed by an authority this machine does not trust';
    case 'CERT_HAS_EXPIRED':
      return 'the certificate has expired';
    case 'CERT_NOT_YET_VALID':
      return 'the certificate is not valid yet (check this machine\'s clock)';
    default:
      return code ? `verification failed (${code})` : 'verification failed';
  }
}
