// Turns run results into the table `npm run bench` prints: per scenario and relay the median of
// the repeats, the spread between repeats (the noise), and the omr/Postfix ratio computed per
// repeat (each pair ran back to back, so machine load hits both alike) then taken as a median.
import type { RunResult } from './scenario.js';

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Half the range relative to the median, as a percentage (0 for a single run). */
export function spread(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  return m ? ((Math.max(...xs) - Math.min(...xs)) / 2 / m) * 100 : 0;
}

export interface Summary {
  scenario: string;
  relay: string;
  runs: number;
  acceptRate: number;
  e2eRate: number;
  e2eMiBps: number;
  peakRssMiB: number;
  peakUpstream: number;
  cpuMsPerMsg: number;
  acceptSpread: number;
  e2eSpread: number;
  problems: number;
}

export interface Ratio {
  scenario: string;
  /** omr/postfix, or omr/omr-base. */
  against: string;
  accept: number;
  e2e: number;
  acceptRange: [number, number];
  e2eRange: [number, number];
}

export function summarize(results: RunResult[]): { rows: Summary[]; ratios: Ratio[] } {
  const rows: Summary[] = [];
  const ratios: Ratio[] = [];
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  for (const sc of scenarios) {
    for (const relay of ['postfix', 'omr-base', 'omr']) {
      const rs = results.filter((r) => r.scenario === sc && r.relay === relay);
      if (!rs.length) continue;
      rows.push({
        scenario: sc,
        relay,
        runs: rs.length,
        acceptRate: median(rs.map((r) => r.acceptRate)),
        e2eRate: median(rs.map((r) => r.e2eRate)),
        e2eMiBps: median(rs.map((r) => r.e2eMiBps)),
        peakRssMiB: Math.max(...rs.map((r) => r.peakRssBytes)) / 1048576,
        peakUpstream: Math.max(...rs.map((r) => r.peakUpstream)),
        cpuMsPerMsg: median(rs.map((r) => r.cpuMsPerMsg)),
        acceptSpread: spread(rs.map((r) => r.acceptRate)),
        e2eSpread: spread(rs.map((r) => r.e2eRate)),
        problems: rs.reduce((a, r) => a + r.problems, 0),
      });
    }
    for (const base of ['postfix', 'omr-base']) {
      const pf = results.filter((r) => r.scenario === sc && r.relay === base);
      const om = results.filter((r) => r.scenario === sc && r.relay === 'omr');
      const n = Math.min(pf.length, om.length);
      if (!n) continue;
      const acc = Array.from({ length: n }, (_, i) => om[i]!.acceptRate / pf[i]!.acceptRate);
      const e2e = Array.from({ length: n }, (_, i) => om[i]!.e2eRate / pf[i]!.e2eRate);
      ratios.push({
        scenario: sc,
        against: base,
        accept: median(acc),
        e2e: median(e2e),
        acceptRange: [Math.min(...acc), Math.max(...acc)],
        e2eRange: [Math.min(...e2e), Math.max(...e2e)],
      });
    }
  }
  return { rows, ratios };
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

export function renderTable(results: RunResult[], label: (sc: string) => string): string[] {
  const { rows, ratios } = summarize(results);
  const head = ['scenario', 'relay', 'accept/s', '±%', 'e2e/s', '±%', 'e2e MiB/s', 'peak RSS MiB', 'CPU ms/msg', 'upstream', 'refused', 'runs'];
  const body: string[][] = [];
  for (const sc of [...new Set(rows.map((r) => r.scenario))]) {
    for (const r of rows.filter((x) => x.scenario === sc)) {
      body.push([label(sc), r.relay, fmt(r.acceptRate), fmt(r.acceptSpread), fmt(r.e2eRate), fmt(r.e2eSpread), fmt(r.e2eMiBps, 1), fmt(r.peakRssMiB), fmt(r.cpuMsPerMsg, 2), String(r.peakUpstream), String(r.problems), String(r.runs)]);
    }
    for (const q of ratios.filter((x) => x.scenario === sc)) {
      const range = (r: [number, number]): string => (r[0] === r[1] ? '' : ` (${r[0].toFixed(2)}-${r[1].toFixed(2)})`);
      body.push(['', `omr/${q.against}`, `${q.accept.toFixed(2)}x${range(q.acceptRange)}`, '', `${q.e2e.toFixed(2)}x${range(q.e2eRange)}`, '', '', '', '', '', '', '']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [pad(head, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map((b) => pad(b, widths))];
}
