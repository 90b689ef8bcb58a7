// What `omr config generate` and `omr setup` share: generate, plan, write (or not), run the
// follow-up steps and the MTA's own check on the real system, and report it all as checks.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Check } from '../core/result.js';
import { FailureError } from '../core/errors.js';
import { generate } from './index.js';
import { realExec, type Exec } from './detect.js';
import { applyPlan, planFiles, type PlannedFile } from './writer.js';
import type { Answers, Generated, Step } from './types.js';

export interface ApplyOptions {
  out?: string;
  dryRun?: boolean;
  cwd?: string;
  exec?: Exec;
  /** Skip running steps/checks on the system (the wizard's "write only"). */
  noRun?: boolean;
  now?: Date;
}

export interface FileReport {
  path: string;
  target: string;
  mode: string;
  secret: boolean;
  changed: boolean;
  backup?: string;
}

export interface GenerateData {
  server: string;
  title: string;
  mode: 'out' | 'system' | 'dry-run';
  out?: string;
  files: FileReport[];
  steps: string[];
  warnings: string[];
  diff: string;
}

function onPath(cmd: string): boolean {
  if (cmd.includes('/')) return existsSync(cmd);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

async function runStep(step: Step, kind: 'step' | 'mta', exec: Exec): Promise<Check> {
  const cmd = step.command!;
  // Stable ids: mta:<binary>, step:<binary>[:<first argument>] (for `sh -c` the script's words).
  const words = cmd[0] === 'sh' ? (cmd[2] ?? '').split(' ') : cmd;
  const id = kind === 'mta' ? `mta:${cmd[0]}` : `step:${words[0]}${words[1] ? ':' + (cmd[0] === 'sh' ? words[2] : words[1]) : ''}`;
  if (!onPath(cmd[0]!)) return { id, status: 'skip', summary: `${cmd[0]} is not installed here; run it yourself: ${step.text}` };
  const started = performance.now();
  const r = await exec(cmd[0]!, cmd.slice(1));
  const durationMs = Math.round(performance.now() - started);
  const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-3).join(' | ');
  return r.code === 0
    ? { id, status: 'pass', durationMs, summary: step.text }
    : { id, status: kind === 'mta' ? 'fail' : 'warn', durationMs, summary: `${step.text} exited ${r.code}`, detail: { output: tail }, hint: 'Fix the problem it names, then run the step by hand.' };
}

/** With --out: how to put each file in place (ownership and mode included). */
function installSteps(g: Generated, plan: PlannedFile[]): string[] {
  return g.files.map((f, i) => {
    const p = plan[i]!;
    if (!f.path.startsWith('/')) return `Copy ${p.target} to the ${g.title} machine.`;
    if (f.merge.kind === 'block') return `Add the lines of ${p.target} to ${f.path} (replacing settings of the same name), or run without --out to merge them.`;
    const [u, grp] = (f.owner ?? 'root:root').split(':');
    return `install -m ${f.mode.toString(8).padStart(4, '0')} -o ${u} -g ${grp} ${p.target} ${f.path}`;
  });
}

export interface ApplyOutcome {
  generated: Generated;
  plan: PlannedFile[];
  checks: Check[];
  data: GenerateData;
}

export async function generateAndApply(a: Answers, opts: ApplyOptions): Promise<ApplyOutcome> {
  const generated = generate(a);
  const plan = planFiles(generated.files, { out: opts.out, cwd: opts.cwd });
  const mode: GenerateData['mode'] = opts.dryRun ? 'dry-run' : opts.out ? 'out' : 'system';
  const checks: Check[] = [{ id: 'generate', status: 'pass', summary: `${generated.title}: ${generated.files.length} file(s), ${generated.steps.length} step(s)` }];
  generated.warnings.forEach((w, i) => checks.push({ id: `warning:${i + 1}`, status: 'warn', summary: w }));
  const backups = new Map<string, string>();
  if (!opts.dryRun) {
    let res;
    try {
      res = applyPlan(plan, { system: mode === 'system', now: opts.now });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS')
        throw new FailureError(`cannot write ${err.path ?? 'the configuration'}: ${err.code}; nothing was changed`, 'Run as root (sudo), or write a copy with --out DIR.', 'EWRITE');
      throw e;
    }
    res.backups.forEach((b) => backups.set(b.replace(/\.omr-backup-.*$/, ''), b));
    const changed = plan.filter((p) => p.changed).length;
    checks.push({ id: 'write', status: 'pass', summary: changed ? `wrote ${changed} file(s)${res.backups.length ? `, backups next to them (*.omr-backup-*)` : ''}` : 'nothing to change: the files already hold this configuration' });
    for (const o of res.unknownOwners) checks.push({ id: 'write:owner', status: 'warn', summary: `owner does not exist here, left as root: ${o}` });
    if (mode === 'system' && !opts.noRun) {
      const exec = opts.exec ?? realExec;
      for (const s of generated.steps.filter((x) => x.command)) checks.push(await runStep(s, 'step', exec));
      for (const s of generated.checks.filter((x) => x.command)) checks.push(await runStep(s, 'mta', exec));
    }
  }
  const data: GenerateData = {
    server: a.server,
    title: generated.title,
    mode,
    ...(opts.out ? { out: opts.out } : {}),
    files: plan.map((p) => ({ path: p.path, target: p.target, mode: p.mode.toString(8).padStart(4, '0'), secret: p.secret, changed: p.changed, ...(backups.has(p.target) ? { backup: backups.get(p.target) } : {}) })),
    steps: [...(opts.out ? installSteps(generated, plan) : []), ...generated.steps.map((s) => s.text)],
    warnings: generated.warnings,
    diff: plan.map((p) => p.diff).join(''),
  };
  return { generated, plan, checks, data };
}
