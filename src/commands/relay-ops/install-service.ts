// omr relay install-service
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext, RenderStyle } from '../../cli/spec.js';
import type { Check, CommandResult, Envelope } from '../../core/result.js';
import { FailureError, UsageError } from '../../core/errors.js';
import { installSteps, systemdUnit, UNIT_DIR, validateServiceOptions, type ServiceOptions } from '../../ops/service.js';
import { relaySettings } from './common.js';

interface Data {
  dryRun: boolean;
  files: Array<{ path: string; target: string; mode: string }>;
  steps: string[];
  unit: string;
}

/** bin/omr.js of this installation (dist/src/commands/relay-ops -> package root). */
export function omrScript(): string {
  return fileURLToPath(new URL('../../../../bin/omr.js', import.meta.url));
}

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<CommandResult<Data>> {
  // The config file may be written after the unit: read it when it exists (spool, password file).
  const configMissing = typeof opts.config === 'string' && !existsSync(opts.config);
  const cfg = relaySettings(ctx, configMissing ? { ...opts, config: undefined } : opts);
  const so: ServiceOptions = {
    name: String(opts.name ?? 'omr-relay'),
    user: String(opts.serviceUser ?? 'omr'),
    node: process.execPath,
    script: omrScript(),
    spool: resolve(cfg.spool),
    config: opts.config ? resolve(String(opts.config)) : undefined,
    passwordFile: cfg.passwordFile ? resolve(cfg.passwordFile) : undefined,
  };
  const problems = validateServiceOptions(so);
  if (problems.length) throw new UsageError(problems.join('; '));
  const unit = systemdUnit(so);
  const target = join(UNIT_DIR, `${so.name}.service`);
  const out = opts.out ? resolve(String(opts.out)) : undefined;
  const path = out ? join(out, target) : target;
  const steps = installSteps(so, target);
  const dryRun = Boolean(opts.dryRun);
  if (!dryRun) {
    if (!out && !existsSync(UNIT_DIR)) throw new FailureError(`${UNIT_DIR} does not exist: is this a systemd system?`, 'Use --out DIR to write the unit elsewhere, or --dry-run to print it.');
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, unit, { mode: 0o644 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new FailureError(`cannot write ${path}: ${(e as Error).message}`, code === 'EACCES' || code === 'EPERM' ? 'Run it as root (sudo), or use --out DIR / --dry-run.' : undefined);
    }
  }
  const summary = dryRun ? `unit for ${target} printed (nothing written)` : `wrote ${path}`;
  const checks: Check[] = [{ id: 'service:unit', status: 'pass', summary }];
  if (/[\\/]_npx[\\/]/.test(so.script))
    checks.push({ id: 'service:path', status: 'warn', summary: `${so.script} is in npx's cache, which can be cleaned at any time`, hint: 'install it for good first: npm install -g omr-cli, then run omr relay install-service again' });
  if (configMissing) checks.push({ id: 'service:config', status: 'warn', summary: `${String(opts.config)} does not exist yet; the service will not start without it`, hint: 'write it, then: omr config check ' + String(opts.config) });
  return { checks, data: { dryRun, files: [{ path, target, mode: '0644' }], steps, unit } };
}

export function render(env: Envelope<Data>, s: RenderStyle): string[] {
  const d = env.data;
  const head = d.dryRun ? [s.dim(`# ${d.files[0]!.target} (dry run: not written)`), ...d.unit.trimEnd().split('\n'), ''] : [`Wrote ${d.files[0]!.path}`, ''];
  const warnings = env.checks.filter((c) => c.status !== 'pass').map((c) => s.yellow(`warning: ${c.summary}`));
  return [...head, ...warnings, s.bold('Next steps (as root):'), ...d.steps.map((x) => `  ${x}`)];
}
