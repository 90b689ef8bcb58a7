// Inventory of listening TCP sockets. Linux exposes them in /proc/net/tcp{,6}; elsewhere we
// parse `ss` or `netstat` output (Linux, BSD/macOS and Windows formats), so each parser is a
// pure function over text and is unit-tested on samples.
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { endianness } from 'node:os';
import { listenerScope, type ListenerScope } from './scope.js';

export interface Listener {
  address: string;
  port: number;
  scope: ListenerScope;
}

const TCP_LISTEN = '0A';

function listener(address: string, port: number): Listener {
  return { address, port, scope: listenerScope(address) };
}

/** One 32-bit word of /proc's hex address, in host byte order, to its 4 bytes in network order. */
function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

export function decodeProcAddress(hex: string, littleEndian = endianness() === 'LE'): string {
  if (hex.length === 8) return wordBytes(hex, littleEndian).join('.');
  if (hex.length !== 32) throw new Error(`unexpected /proc/net address "${hex}"`);
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return compressV6(groups);
}

/** RFC 5952 short form, with the IPv4-mapped form kept readable. */
function compressV6(groups: string[]): string {
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const hi = parseInt(groups[6]!, 16);
    const lo = parseInt(groups[7]!, 16);
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.len).join(':');
  return `${head}::${tail}`;
}

/** Parses /proc/net/tcp or /proc/net/tcp6 content; returns sockets in LISTEN state. */
export function parseProcNetTcp(text: string, littleEndian = endianness() === 'LE'): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== TCP_LISTEN) continue;
    const [addrHex, portHex] = cols[1]!.split(':');
    if (!addrHex || !portHex) continue;
    out.push(listener(decodeProcAddress(addrHex, littleEndian), parseInt(portHex, 16)));
  }
  return out;
}

/** "127.0.0.1:25", "[::]:25", "*:25", "127.0.0.53%lo:53", BSD "127.0.0.1.25" / "*.25". */
export function splitAddressPort(text: string): { address: string; port: number } | undefined {
  const m = /^(.*)[:.](\d+)$/.exec(text);
  if (!m) return undefined;
  let address = m[1]!.replace(/^\[|\]$/g, '').replace(/%[^%]*$/, '');
  if (address === '' || address === '0') address = '*';
  return { address, port: Number(m[2]) };
}

/** Parses `ss -ltn` output (with or without the header line). */
export function parseSs(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== 'LISTEN' || cols.length < 5) continue;
    const hp = splitAddressPort(cols[3]!);
    if (hp) out.push(listener(hp.address, hp.port));
  }
  return out;
}

/** Parses `netstat -ltn` (Linux), `netstat -an -p tcp` (BSD/macOS) and `netstat -an` (Windows). */
export function parseNetstat(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (!/^tcp/i.test(cols[0] ?? '')) continue;
    const state = cols[cols.length - 1]!.toUpperCase();
    if (state !== 'LISTEN' && state !== 'LISTENING') continue;
    // Unix: proto recv-q send-q local foreign state; Windows: proto local foreign state [pid].
    const local = cols.length >= 6 ? cols[3]! : cols[1]!;
    const hp = splitAddressPort(local);
    if (hp) out.push(listener(hp.address, hp.port));
  }
  return out;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

export interface ListenerInventory {
  source: 'proc' | 'ss' | 'netstat' | 'none';
  listeners: Listener[];
  error?: string;
}

/** All listening TCP sockets, from the best source this OS offers; deduplicated and sorted. */
export async function listListeners(timeoutMs = 5000): Promise<ListenerInventory> {
  const attempts: Array<[ListenerInventory['source'], () => Promise<Listener[]>]> = [
    ['proc', async () => {
      const v4 = await readFile('/proc/net/tcp', 'utf8');
      const v6 = await readFile('/proc/net/tcp6', 'utf8').catch(() => '');
      return [...parseProcNetTcp(v4), ...parseProcNetTcp(v6)];
    }],
    ['ss', async () => parseSs(await run('ss', ['-ltn'], timeoutMs))],
    ['netstat', async () => parseNetstat(await run('netstat', process.platform === 'win32' ? ['-an', '-p', 'TCP'] : ['-an'], timeoutMs))],
  ];
  const errors: string[] = [];
  for (const [source, fn] of attempts) {
    try {
      return { source, listeners: dedupe(await fn()) };
    } catch (e) {
      errors.push(`${source}: ${(e as Error).message}`);
    }
  }
  return { source: 'none', listeners: [], error: errors.join('; ') };
}

function dedupe(list: Listener[]): Listener[] {
  const seen = new Map<string, Listener>();
  for (const l of list) seen.set(`${l.address}|${l.port}`, l);
  return [...seen.values()].sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}
