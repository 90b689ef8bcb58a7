// Loopback HTTP endpoint for a running simulator: GET /status (counters), GET /messages
// (accepted messages without their bytes), POST /faults (inject a Fault given as JSON),
// DELETE /faults, POST /reset. Loopback only: it exposes counters and takes commands.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Simulator } from './index.js';
import type { Fault } from './types.js';

const FAULT_KINDS = new Set(['greeting421', 'mail421', 'rcpt4xx', 'data421', 'data5xx', 'dropMidData', 'delayReply', 'authFail', 'stripStarttls']);
const STAGES = new Set(['greeting', 'auth', 'mail', 'rcpt', 'data']);

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Validate a Fault from untrusted JSON; throws with a message saying what is wrong. */
export function parseFault(v: unknown): Fault {
  const f = v as Record<string, unknown>;
  if (!f || typeof f !== 'object' || !FAULT_KINDS.has(String(f.kind))) throw new Error(`kind must be one of ${[...FAULT_KINDS].join(', ')}`);
  const count = f.count === undefined || f.count === null ? undefined : f.count === 'Infinity' ? Infinity : Number(f.count);
  if (count !== undefined && !(count > 0)) throw new Error('count must be a positive number or "Infinity"');
  if (f.kind === 'delayReply') {
    if (!STAGES.has(String(f.stage))) throw new Error(`stage must be one of ${[...STAGES].join(', ')}`);
    const ms = Number(f.ms);
    if (!(ms >= 0)) throw new Error('ms must be a number >= 0');
    return { kind: 'delayReply', stage: f.stage as 'data', ms, count };
  }
  return { kind: f.kind as 'greeting421', count };
}

/** JSON.stringify replacer that keeps `count: Infinity` readable (JSON has no Infinity). */
export const jsonReplacer = (_k: string, v: unknown): unknown => (v === Infinity ? 'Infinity' : v);

function reply(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, jsonReplacer, 2) + '\n');
}

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new Error('body too large');
  }
  return JSON.parse(text || '{}');
}

export function statusSnapshot(sim: Simulator): Record<string, unknown> {
  return { listen: { host: sim.host, port: sim.port, tlsPort: sim.tlsPort }, hostname: sim.hostname, stats: sim.stats(), pendingFaults: sim.pendingFaults() };
}

async function route(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && (path === '/' || path === '/status')) return reply(res, 200, statusSnapshot(sim));
  if (req.method === 'GET' && path === '/messages') return reply(res, 200, sim.messages().map((m) => ({ ...m, raw: undefined })));
  if (req.method === 'POST' && path === '/faults') {
    try {
      const fault = parseFault(await body(req));
      sim.inject(fault);
      return reply(res, 201, { injected: fault });
    } catch (e) {
      return reply(res, 400, { error: (e as Error).message });
    }
  }
  if (req.method === 'DELETE' && path === '/faults') {
    sim.clearFaults();
    return reply(res, 200, { cleared: true });
  }
  if (req.method === 'POST' && path === '/reset') {
    sim.resetCounters();
    return reply(res, 200, { reset: true });
  }
  reply(res, 404, { error: 'not found', routes: ['GET /status', 'GET /messages', 'POST /faults', 'DELETE /faults', 'POST /reset'] });
}

export interface StatusServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startStatusServer(sim: Simulator, host: string, port: number): Promise<StatusServer> {
  if (!isLoopback(host)) throw new Error(`status endpoint must listen on a loopback address, not ${host}`);
  const server: Server = createServer((req, res) => {
    route(sim, req, res).catch((e) => reply(res, 500, { error: (e as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    host,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
