// Human report for `omr test`: checks grouped by port, diagnoses, a short "what to do" list,
// and the verdict line. Phases a port never reached are counted, not listed.
import type { RenderStyle } from '../../cli/spec.js';
import { verdictLine } from '../../cli/output.js';
import type { Check, Envelope } from '../../core/result.js';
import type { TestData } from '../../probe/run-test.js';

const MAX_TODO = 6;

function ms(v: number | undefined): string {
  if (v === undefined) return '';
  return v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`;
}

function line(c: Check, label: string, width: number, s: RenderStyle): string {
  const t = c.durationMs !== undefined && c.id !== 'dns' ? s.dim(`  (${ms(c.durationMs)})`) : '';
  return `  ${s.status(c.status)}  ${label.padEnd(width)}  ${c.summary}${t}`;
}

/**
 * Diagnoses first (they name causes), then failed and warning checks; a check's hint that only
 * points to a diagnosis already listed is dropped, and so are duplicates. When some ports work
 * and others not, the list starts by naming a working port.
 */
export function whatToDo(checks: Check[], ports: TestData['ports'] = []): string[] {
  const diag = checks.filter((c) => c.id.startsWith('diagnosis:'));
  const fired = new Set(diag.map((c) => c.id));
  const rest = checks.filter((c) => !c.id.startsWith('diagnosis:'));
  const order = [...diag.filter((c) => c.status === 'fail'), ...diag.filter((c) => c.status === 'warn'), ...rest.filter((c) => c.status === 'fail'), ...rest.filter((c) => c.status === 'warn')];
  const seen = new Set<string>();
  const out: string[] = [];
  const ok = ports.filter((p) => p.completed);
  if (ok.length && ok.length < ports.length) {
    out.push(`Port ${ok.map((p) => p.port).join(', ')} passed every phase: configure the mail program or relay to use ${ok.length === 1 ? 'it' : 'one of them'}.`);
  }
  for (const c of order) {
    if (!c.hint || seen.has(c.hint)) continue;
    const refs = c.hint.match(/diagnosis:[a-z0-9-]+/g) ?? [];
    if (!c.id.startsWith('diagnosis:') && refs.some((r) => fired.has(r))) continue;
    seen.add(c.hint);
    const port = portOf(c.id);
    out.push(port ? `Port ${port}: ${c.hint}` : c.hint);
  }
  return out.slice(0, MAX_TODO);
}

function portOf(id: string): string | undefined {
  const m = /^[a-z]+:(\d+)$/.exec(id);
  return m?.[1];
}

export function render(env: Envelope<TestData>, s: RenderStyle): string[] {
  const d = env.data;
  const lines: string[] = [];
  if (!d || !Array.isArray(d.ports)) return [verdictLine(env as Envelope<unknown>, s)];
  lines.push(s.bold(`omr test ${d.host}`) + s.dim(`  (stop after ${d.stopAfter})`));
  const dns = env.checks.find((c) => c.id === 'dns');
  if (dns) lines.push(line(dns, 'dns', 8, s));
  for (const p of d.ports) {
    const mine = env.checks.filter((c) => portOf(c.id) === String(p.port));
    const shown = mine.filter((c) => !(c.status === 'skip' && c.detail?.notReached));
    const hidden = mine.length - shown.length;
    const mode = p.tls === 'implicit' ? 'implicit TLS' : p.tls === 'starttls' ? 'STARTTLS' : 'no TLS';
    lines.push('', s.bold(`Port ${p.port}`) + s.dim(` (${mode})`) + (p.completed ? ' ' + s.green('works') : ' ' + s.red(`failed at ${p.failedPhase}`)));
    for (const c of shown) lines.push(line(c, c.id.split(':')[0]!, 8, s));
    if (hidden) lines.push(s.dim(`  ${hidden} later phase${hidden === 1 ? '' : 's'} not reached`));
  }
  const extra = env.checks.filter((c) => c.id === 'connections' || c.id.startsWith('diagnosis:'));
  if (extra.length) {
    lines.push('', s.bold(extra.some((c) => c.id === 'connections') ? 'Limits and diagnosis' : 'Diagnosis'));
    const width = Math.max(...extra.map((c) => c.id.replace('diagnosis:', '').length));
    for (const c of extra) lines.push(line(c, c.id.replace('diagnosis:', ''), width, s));
  }
  const todo = whatToDo(env.checks, d.ports);
  if (todo.length) {
    lines.push('', s.bold('What to do'));
    todo.forEach((h, i) => lines.push(`  ${i + 1}. ${h}`));
  }
  lines.push('', verdictLine(env as Envelope<unknown>, s));
  return lines;
}
