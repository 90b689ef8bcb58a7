// The edge where a result becomes text: JSON (stdout, one document) or human lines.
import type { Envelope } from '../core/result.js';
import type { RenderStyle } from './spec.js';

export function renderJson(env: Envelope<unknown>): string {
  return JSON.stringify(env, null, 2) + '\n';
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Generic human rendering: one line per check, hints under failures, a verdict line. */
export function renderChecks(env: Envelope<unknown>, s: RenderStyle): string[] {
  const lines: string[] = [];
  const width = Math.min(28, Math.max(0, ...env.checks.map((c) => c.id.length)));
  for (const c of env.checks) {
    const t = c.durationMs !== undefined ? s.dim(` (${fmtMs(c.durationMs)})`) : '';
    lines.push(`${s.status(c.status)}  ${c.id.padEnd(width)}  ${c.summary}${t}`);
    if (c.hint && (c.status === 'fail' || c.status === 'warn')) lines.push(`        ${' '.repeat(width)}  ${s.dim('→ ' + c.hint)}`);
  }
  return lines;
}

export function verdictLine(env: Envelope<unknown>, s: RenderStyle): string {
  const word = env.verdict === 'pass' ? s.green('PASS') : env.verdict === 'warn' ? s.yellow('WARN') : s.red('FAIL');
  const counts = (['pass', 'warn', 'fail', 'skip'] as const)
    .map((st) => [st, env.checks.filter((c) => c.status === st).length] as const)
    .filter(([, n]) => n > 0)
    .map(([st, n]) => `${n} ${st}`)
    .join(', ');
  return `${s.bold(`omr ${env.command}:`)} ${word}${counts ? `  (${counts}; ${fmtMs(env.durationMs)})` : ''}`;
}

export function renderDefault(env: Envelope<unknown>, s: RenderStyle): string[] {
  const lines = renderChecks(env, s);
  if (env.checks.length) lines.push('');
  lines.push(verdictLine(env, s));
  return lines;
}
