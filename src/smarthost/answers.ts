// Turns flags (or a wizard's answers file) into validated Answers. Every refusal names the flag.
import { hostname as osHostname } from 'node:os';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { addressRange } from '../core/address.js';
import { UsageError } from '../core/errors.js';
import { parseHostPort, parsePositiveInt } from '../core/parse.js';
import { isServerId, SERVERS, type Answers, type Endpoint, type ServerId } from './types.js';

/** ipaddr.js ranges a --lan network may lie in (raw ranges: an IPv4-mapped network is no LAN). */
const LAN_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal']);

/** The last address of a CIDR (to check the whole network is private, not just its start). */
function lastAddress(addr: ipaddr.IPv4 | ipaddr.IPv6, len: number): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = addr.toByteArray();
  for (let bit = len; bit < bytes.length * 8; bit++) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return ipaddr.fromByteArray(bytes);
}

/** A LAN network: private/ULA/link-local only, normalised to its network address. */
export function parseLanCidr(text: string): string {
  const t = text.trim();
  if (!ipaddr.isValidCIDR(t)) throw new UsageError(`--lan ${text}: not a CIDR network (e.g. 192.168.1.0/24)`);
  const [addr, len] = ipaddr.parseCIDR(t);
  const net = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(t) : ipaddr.IPv6.networkAddressFromCIDR(t);
  const last = lastAddress(net, len);
  if (!LAN_RANGES.has(net.range()) || !LAN_RANGES.has(last.range()) || net.range() !== last.range())
    throw new UsageError(`--lan ${text}: not a private network; relaying for it would make an open relay`, 'Use your office subnet, e.g. 192.168.1.0/24.');
  return `${net.toString()}/${len}`;
}

/** ADDR or ADDR:PORT on a loopback or LAN address (never the wildcard or a public one). */
export function parseListen(text: string, defaultPort = 25): Endpoint {
  let hp: Endpoint;
  try {
    hp = parseHostPort(text, defaultPort);
  } catch (e) {
    throw new UsageError(`--listen ${text}: ${(e as Error).message}`);
  }
  if (!isIP(hp.host)) throw new UsageError(`--listen ${text}: give an IP address of this machine`);
  const range = addressRange(hp.host);
  if (range === 'unspecified') throw new UsageError(`--listen ${text}: listening on every interface exposes the server; give the LAN address`);
  if (range !== 'private' && range !== 'loopback' && range !== 'link-local') throw new UsageError(`--listen ${text}: ${hp.host} is not a LAN address; the server must not listen on the Internet`);
  return hp;
}

export function parseServer(text: string): ServerId {
  if (!isServerId(text)) throw new UsageError(`unknown server "${text}"`, `Choose one of: ${SERVERS.join(', ')}`);
  return text;
}

export interface RawAnswers {
  server: string;
  user?: string;
  password?: string;
  smarthost?: string;
  tls?: string;
  ca?: string;
  lan?: string[];
  listen?: string[];
  hostname?: string;
  maxConnections?: number | string;
  fingerprint?: string;
  eximSplit?: boolean;
  spool?: string;
}

export function validateHostname(text: string): string {
  const t = text.trim().replace(/\.$/, '');
  if (!/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(t))
    throw new UsageError(`--hostname ${text}: not a host name`);
  return t;
}

export function buildAnswers(raw: RawAnswers, cwd = process.cwd()): Answers {
  const server = parseServer(raw.server);
  if (!raw.user) throw new UsageError('--user is required: the OMR account name');
  const tlsText = raw.tls;
  if (tlsText !== undefined && tlsText !== 'starttls' && tlsText !== 'implicit')
    throw new UsageError(`--tls ${tlsText}: expected starttls or implicit (AUTH is never sent without TLS)`);
  let smarthost: Endpoint;
  try {
    smarthost = parseHostPort(raw.smarthost ?? 'omr.tzo.com', tlsText === 'implicit' ? 465 : 587);
  } catch (e) {
    throw new UsageError(`--smarthost ${raw.smarthost}: ${(e as Error).message}`);
  }
  const tls = (tlsText ?? (smarthost.port === 465 ? 'implicit' : 'starttls')) as Answers['tls'];
  const maxConnections = raw.maxConnections === undefined ? 4 : parsePositiveInt(String(raw.maxConnections));
  return {
    server,
    user: raw.user,
    password: raw.password,
    smarthost,
    tls,
    ca: raw.ca ? resolve(cwd, raw.ca) : undefined,
    lan: [...new Set((raw.lan ?? []).map(parseLanCidr))],
    listen: (raw.listen ?? []).map((l) => parseListen(l)),
    hostname: validateHostname(raw.hostname ?? osHostname()),
    maxConnections,
    fingerprint: raw.fingerprint,
    eximSplit: raw.eximSplit,
    spool: raw.spool,
  };
}
