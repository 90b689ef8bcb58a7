// The whole `omr test` run as domain code: DNS, every port concurrently, the optional
// connection-limit test, diagnoses, then checks and the per-port verdict. No terminal I/O.
import type { Check, CommandResult, Verdict } from '../core/result.js';
import { testConnections, type ConnectionsResult } from './connections.js';
import { diagnose, type Thresholds } from './diagnose.js';
import { resolveHost, type DnsResult, type Lookup } from './dns.js';
import { describeCapabilities } from './ehlo.js';
import { plan, probePort } from './port-probe.js';
import type { TranscriptEvent } from './smtp-session.js';
import { portTlsMode, type PortReport, type PortTlsMode, type ProbeOptions, type StopPhase, type TlsMode } from './types.js';

/** What every port probe gets as is (see ProbeOptions), plus the run-wide settings. */
type SharedProbeOptions = Pick<ProbeOptions, 'host' | 'timeoutMs' | 'stopAfter' | 'ca' | 'user' | 'password' | 'authMech' | 'from' | 'to' | 'expectBanner' | 'ehloName' | 'signal'>;

export interface TestOptions extends SharedProbeOptions {
  ports: number[];
  tls: TlsMode;
  /** Per-port TLS mode overriding `tls` (from "--port 4650/implicit"). */
  portTls?: Record<number, PortTlsMode>;
  /** Open this many sessions at once after the port probes (0/undefined: skip). */
  connections?: number;
  onTranscript?: (port: number, e: TranscriptEvent) => void;
  /** Called as each port finishes (progress display). */
  onPortDone?: (report: PortReport) => void;
  resolver?: Lookup;
  thresholds?: Partial<Thresholds>;
}

export interface PortSummary {
  port: number;
  tls: string;
  completed: boolean;
  failedPhase: string | null;
  connect: string | null;
  address: string | null;
  timings: Record<string, number | undefined>;
  banner: string[] | null;
  capabilities: string | null;
  tlsProtocol: string | null;
  certificateDaysLeft: number | null;
  authMechanism: string | null;
  dataAckMs: number | null;
  queueId: string | null;
}

export interface TestData extends Record<string, unknown> {
  host: string;
  addresses: string[];
  stopAfter: StopPhase;
  ports: PortSummary[];
  connections: ConnectionsResult | null;
}

export async function runTest(o: TestOptions): Promise<CommandResult<TestData>> {
  const dns = await resolveHost(o.host, o.timeoutMs, o.resolver);
  const checks: Check[] = [dnsCheck(o.host, dns)];
  const addresses = dns.addresses.map((a) => a.address);
  const reports = dns.ok
    ? await Promise.all(o.ports.map((port) => probePort(probeOptions(o, port, addresses)).then((r) => (o.onPortDone?.(r), r))))
    : [];
  for (const r of reports) checks.push(...portChecks(r, o));
  let connections: ConnectionsResult | null = null;
  if (o.connections && dns.ok) {
    connections = await runConnections(o, reports, addresses);
    checks.push(connections ? connectionsCheck(connections) : { id: 'connections', status: 'skip', summary: 'not tried: no port accepted a session' });
  }
  checks.push(...diagnose({ ports: reports, authAsked: Boolean(o.user), expectBanner: o.expectBanner, thresholds: o.thresholds }));
  const data: TestData = { host: o.host, addresses, stopAfter: o.stopAfter, ports: reports.map(summarize), connections };
  return { checks, data, verdict: verdictOf(reports, checks, o.ports.length) };
}

function probeOptions(o: TestOptions, port: number, addresses: string[]): ProbeOptions {
  return {
    host: o.host, addresses, port, tls: o.portTls?.[port] ?? portTlsMode(o.tls, port), timeoutMs: o.timeoutMs, stopAfter: o.stopAfter,
    ca: o.ca, user: o.user, password: o.password, authMech: o.authMech, from: o.from, to: o.to, expectBanner: o.expectBanner,
    ehloName: o.ehloName, signal: o.signal, onTranscript: o.onTranscript ? (e) => o.onTranscript!(port, e) : undefined,
  };
}

/** pass: every port completed every phase (and nothing warned); warn: some did; fail: none did. */
export function verdictOf(reports: PortReport[], checks: Check[], portCount: number): Verdict {
  const done = reports.filter((r) => r.completed).length;
  if (done === 0) return 'fail';
  if (done < portCount) return 'warn';
  return checks.some((c) => c.status === 'warn' || c.status === 'fail') ? 'warn' : 'pass';
}

function dnsCheck(host: string, dns: DnsResult): Check {
  const detail = { addresses: dns.addresses, literal: dns.literal, ...(dns.errno ? { error: dns.errno } : {}) };
  if (dns.literal) return { id: 'dns', status: 'pass', durationMs: 0, summary: `${host} is an IP address (no lookup)`, detail };
  if (!dns.ok) return { id: 'dns', status: 'fail', durationMs: dns.durationMs, summary: `${host}: ${dns.error}`, detail, hint: 'Check the spelling of the host name and this machine\'s DNS settings (try: getent hosts HOST).' };
  return { id: 'dns', status: 'pass', durationMs: dns.durationMs, summary: `${host} -> ${dns.addresses.map((a) => a.address).join(', ')}`, detail };
}

/** The port's phase checks in plan order, with `skip` checks for phases it never reached. */
function portChecks(r: PortReport, o: TestOptions): Check[] {
  const out: Check[] = [];
  for (const s of plan({ tls: r.mode, stopAfter: o.stopAfter, user: o.user, from: o.from, to: o.to })) {
    const p = r.phases.find((x) => x.phase === s.phase);
    out.push(
      p
        ? { id: `${p.phase}:${r.port}`, status: p.status, durationMs: p.durationMs, summary: p.summary, detail: p.detail, hint: p.hint }
        : { id: `${s.phase}:${r.port}`, status: 'skip', summary: `not reached (${r.failedPhase ?? 'stopped'} failed)`, detail: { notReached: true } },
    );
  }
  return out;
}

async function runConnections(o: TestOptions, reports: PortReport[], addresses: string[]): Promise<ConnectionsResult | null> {
  // Prefer the first port (in the order given) that worked; OMR counts per account, not per port.
  const port = reports.find((r) => r.completed)?.port ?? reports.find((r) => r.connect === 'connected')?.port;
  if (port === undefined) return null;
  return testConnections({ ...probeOptions(o, port, addresses), onTranscript: undefined }, o.connections!);
}

function connectionsCheck(c: ConnectionsResult): Check {
  const detail = { attempted: c.attempted, accepted: c.accepted, firstRejection: c.firstRejection, port: c.port, results: c.results };
  if (c.accepted === 0) return { id: 'connections', status: 'fail', durationMs: c.durationMs, summary: `none of ${c.attempted} simultaneous sessions on port ${c.port} was accepted: ${c.firstRejection}`, detail, hint: 'The server refuses even one session now: wait a few minutes and close other programs using the account.' };
  if (c.accepted === c.attempted) return { id: 'connections', status: 'pass', durationMs: c.durationMs, summary: `all ${c.attempted} simultaneous sessions on port ${c.port} were accepted`, detail };
  const clean = c.firstRejection?.startsWith('421') ?? false;
  return {
    id: 'connections',
    status: clean ? 'pass' : 'warn',
    durationMs: c.durationMs,
    summary: `${c.accepted} of ${c.attempted} simultaneous sessions on port ${c.port} were accepted; then: ${c.firstRejection}`,
    detail,
    hint: `The server allows ${c.accepted} sessions at once. Keep every sender (mail programs, relays: Postfix, Exchange) at or below ${c.accepted} connections in total, or they will see 421 errors.`,
  };
}

function summarize(r: PortReport): PortSummary {
  return {
    port: r.port,
    tls: r.mode,
    completed: r.completed,
    failedPhase: r.failedPhase ?? null,
    connect: r.connect ?? null,
    address: r.address ?? null,
    timings: Object.fromEntries(r.phases.map((p) => [p.phase, p.durationMs])),
    banner: r.banner?.raw ?? null,
    capabilities: r.capabilitiesAfterTls ? describeCapabilities(r.capabilitiesAfterTls) : r.capabilities ? describeCapabilities(r.capabilities) : null,
    tlsProtocol: r.tls?.protocol ?? null,
    certificateDaysLeft: r.tls?.chain.length ? r.tls.daysToExpiry : null,
    authMechanism: r.authMechanism ?? null,
    dataAckMs: r.dataAckMs ?? null,
    queueId: r.queueId ?? null,
  };
}
