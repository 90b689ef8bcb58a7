import { existsSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import type { Check, CommandResult, Envelope } from '../../core/result.js';
import { resolveRelayConfig } from '../../config/resolve.js';
import { effectiveSettings, type EffectiveSetting } from '../../config/effective.js';
import type { CommandContext, RenderStyle } from '../../cli/spec.js';
import { renderDefault } from '../../cli/output.js';

interface CheckData {
  file: string;
  settings: EffectiveSetting[];
  warnings: string[];
}

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<CheckData>> {
  const file = args[0] ?? (opts.config as string | undefined) ?? ctx.env.OMR_CONFIG;
  if (!file) throw new UsageError('no config file given', 'Name one: omr config check FILE (or set --config / OMR_CONFIG).');
  if (!existsSync(file)) throw new UsageError(`config file ${file} does not exist`);
  const resolved = resolveRelayConfig({ file, env: ctx.env });
  const checks: Check[] = [{ id: 'config:valid', status: 'pass', summary: `${file} is valid` }];
  for (const w of resolved.warnings)
    checks.push({ id: `config:${w.key}`, status: 'warn', summary: `${w.line ? `line ${w.line}: ` : ''}${w.key}: ${w.message}` });
  return {
    checks,
    data: { file, settings: effectiveSettings(resolved, ctx.env), warnings: resolved.warnings.map((w) => w.message) },
  };
}

export function render(env: Envelope<CheckData>, s: RenderStyle): string[] {
  const width = Math.max(...env.data.settings.map((x) => x.key.length));
  const lines = env.data.settings.map((x) => `  ${x.key.padEnd(width)}  ${x.value}  ${s.dim(`(${x.origin})`)}`);
  return [...renderDefault(env as Envelope<unknown>, s).slice(0, -1), s.bold('Effective settings:'), ...lines, '', ...renderDefault(env as Envelope<unknown>, s).slice(-1)];
}
