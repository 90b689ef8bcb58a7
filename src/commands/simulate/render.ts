// Human output of `omr simulate`: one line per session event while running, and the final
// counters when it stops.
import type { RenderStyle } from '../../cli/spec.js';
import type { Envelope } from '../../core/result.js';
import type { SimulatorEvent, SimulatorStats } from '../../simulator/index.js';
import { renderDefault } from '../../cli/output.js';

export interface SimulateData {
  listen: { host: string; port: number };
  tlsListen?: { host: string; port: number };
  hostname: string;
  caFile?: string;
  storeDir?: string;
  status?: { host: string; port: number };
  accounts: string[];
  limits: Record<string, unknown>;
  stoppedBy: 'signal' | 'exit-after';
  stats: SimulatorStats;
  messages: Array<{ id: string; mailFrom: string; rcptTo: string[]; user: string; size: number; tls: string | null; receivedAt: string; file?: string }>;
  messagesTruncated: boolean;
}

function detailText(ev: SimulatorEvent): string {
  const d = ev.detail ?? {};
  switch (ev.type) {
    case 'connect':
      return `from ${ev.remote}:${d.remotePort} to ${d.local}`;
    case 'tls':
      return `${d.protocol} ${d.cipher}${d.servername ? ` sni=${d.servername}` : ''}`;
    case 'auth':
      return `${ev.user} (${d.method})`;
    case 'mail':
      return `from <${d.from}>`;
    case 'rcpt':
      return `to <${d.to}>`;
    case 'accepted':
      return `${d.id} ${d.size} bytes <${d.from}> -> ${(d.to as string[]).map((t) => `<${t}>`).join(' ')}`;
    case 'rejected':
      return `${ev.reply} [${ev.reason}]`;
    case 'fault':
      return `${ev.reason}${d.stage ? ` ${d.stage} +${d.ms}ms` : ''}`;
    default:
      return '';
  }
}

/** One human line for a session event, e.g. `12:00:01.123 a1b2c3 accepted ...`. */
export function formatEvent(ev: SimulatorEvent, s: RenderStyle): string {
  const colour = ev.type === 'rejected' ? s.red : ev.type === 'fault' ? s.yellow : ev.type === 'accepted' ? s.green : (x: string) => x;
  return `${s.dim(ev.time.slice(11, 23))} ${s.cyan(ev.session.slice(0, 8))} ${colour(ev.type.padEnd(8))} ${detailText(ev)}`.trimEnd();
}

/** The counters as human lines (final result and SIGUSR1 dumps). */
export function formatStats(st: SimulatorStats, s: RenderStyle): string[] {
  const reasons = Object.entries(st.rejected.byReason).map(([r, n]) => `${r} ${n}`).join(', ');
  const peaks = Object.entries(st.connections.peakPerAccount).map(([u, n]) => `${u} ${n}`).join(', ');
  return [
    `${s.bold('connections')}  now ${st.connections.current}, peak ${st.connections.peak}, total ${st.connections.total}${peaks ? `; peak per account: ${peaks}` : ''}`,
    `${s.bold('messages')}     ${st.accepted} accepted (${st.acceptedBytes} bytes), ${st.rejected.total} refused${reasons ? ` (${reasons})` : ''}`,
    `${s.bold('sessions')}     ${st.sessions} authenticated${Object.keys(st.faultsFired).length ? `; faults fired: ${Object.entries(st.faultsFired).map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}`,
  ];
}

export function render(env: Envelope<SimulateData>, s: RenderStyle): string[] {
  if (!env.data?.stats) return renderDefault(env as Envelope<unknown>, s);
  const d = env.data;
  const lines = [...formatStats(d.stats, s)];
  if (d.storeDir) lines.push(`${s.bold('stored in')}    ${d.storeDir}`);
  return [...lines, '', ...renderDefault(env as Envelope<unknown>, s)];
}
