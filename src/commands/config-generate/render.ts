// Human output: what was written where (or the diff), then the steps to finish.
import type { Envelope } from '../../core/result.js';
import type { RenderStyle } from '../../cli/spec.js';
import { renderChecks, verdictLine } from '../../cli/output.js';
import type { GenerateData } from '../../smarthost/apply.js';

export function renderFiles(d: GenerateData, s: RenderStyle): string[] {
  const lines: string[] = [];
  if (d.mode === 'dry-run') {
    lines.push(s.bold(`${d.title}: changes that would be made (nothing written)`));
    lines.push(...(d.diff ? d.diff.replace(/\n$/, '').split('\n').map((l) => (l.startsWith('+') ? s.green(l) : l.startsWith('-') ? s.red(l) : l)) : ['  (no changes)']));
  } else {
    lines.push(s.bold(`${d.title}: files`));
    for (const f of d.files) {
      const tag = f.changed ? '' : s.dim(' (unchanged)');
      lines.push(`  ${f.mode}  ${f.target}${f.target !== f.path ? s.dim(`  -> ${f.path}`) : ''}${f.secret ? s.yellow('  [secret]') : ''}${tag}`);
      if (f.backup) lines.push(s.dim(`        backup: ${f.backup}`));
    }
  }
  lines.push('', s.bold(d.mode === 'system' ? 'Then:' : 'Next steps:'));
  d.steps.forEach((t, i) => lines.push(`  ${i + 1}. ${t}`));
  return lines;
}

export function render(env: Envelope<GenerateData>, s: RenderStyle): string[] {
  if (!env.data || !Array.isArray(env.data.files)) return [verdictLine(env as Envelope<unknown>, s)];
  return [...renderFiles(env.data, s), '', ...renderChecks(env as Envelope<unknown>, s), '', verdictLine(env as Envelope<unknown>, s)];
}
