// Plans and writes generated files. Planning reads only; applying writes every file to a temp
// name first and renames them all at the end (synchronously, so Ctrl-C cannot land between two
// renames), backs up what it replaces on the real system, and never shows a secret in a diff.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, isAbsolute, join } from 'node:path';
import { unifiedDiff } from './diff.js';
import { mergeContent } from './merge.js';
import type { GeneratedFile } from './types.js';

const BOM = '\ufeff';

export interface PlannedFile {
  /** System path (or bare name for Windows scripts). */
  path: string;
  /** Where it is written: the system path, or its mirror under --out. */
  target: string;
  mode: number;
  owner?: string;
  secret: boolean;
  before: string | null;
  after: string;
  changed: boolean;
  /** Unified diff; for secret files only a note (content never shown). */
  diff: string;
}

export interface PlanOptions {
  out?: string;
  cwd?: string;
}

export function targetFor(path: string, opts: PlanOptions): string {
  if (opts.out) return join(opts.out, path.replace(/^\/+/, ''));
  return isAbsolute(path) ? path : join(opts.cwd ?? process.cwd(), path);
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function planFiles(files: GeneratedFile[], opts: PlanOptions): PlannedFile[] {
  return files.map((f) => {
    const target = targetFor(f.path, opts);
    const raw = readIfExists(target);
    const before = raw?.startsWith(BOM) ? raw.slice(1) : raw;
    const after = mergeContent(f, before);
    const changed = before !== after || (raw !== null && (statSync(target).mode & 0o777) !== f.mode);
    const diff = !changed ? '' : f.secret ? `--- ${f.path}\n+++ ${f.path}\n(secret file ${before === null ? 'created' : 'changed'}; content not shown)\n` : unifiedDiff(f.path, before, after);
    return { path: f.path, target, mode: f.mode, owner: f.owner, secret: f.secret, before, after: f.bom ? BOM + after : after, changed, diff };
  });
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

/** Numeric ids for "user:group", or undefined when either does not exist on this system. */
export function resolveOwner(owner: string): { uid: number; gid: number } | undefined {
  const [user, group] = owner.split(':');
  try {
    const uid = Number(execFileSync('getent', ['passwd', user!], { encoding: 'utf8' }).split(':')[2]);
    const gid = Number(execFileSync('getent', ['group', group ?? user!], { encoding: 'utf8' }).split(':')[2]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

export interface ApplyResult {
  written: string[];
  backups: string[];
  /** Owners that do not exist here (file left root-owned with its restrictive mode). */
  unknownOwners: string[];
}

/** Writes the changed files. `system` = real paths: back up and chown. */
export function applyPlan(plan: PlannedFile[], opts: { system: boolean; now?: Date }): ApplyResult {
  const todo = plan.filter((p) => p.changed);
  const temps: Array<[string, PlannedFile]> = [];
  try {
    for (const p of todo) {
      mkdirSync(dirname(p.target), { recursive: true, mode: 0o755 });
      const tmp = `${p.target}.omr-tmp-${process.pid}`;
      writeFileSync(tmp, p.after, { mode: p.mode });
      chmodSync(tmp, p.mode); // the umask may have narrowed or the file existed
      temps.push([tmp, p]);
    }
  } catch (e) {
    for (const [tmp] of temps) if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
  const result: ApplyResult = { written: [], backups: [], unknownOwners: [] };
  const stamp = timestamp(opts.now ?? new Date());
  for (const [tmp, p] of temps) {
    if (opts.system && p.owner) {
      const ids = resolveOwner(p.owner);
      if (ids) chownSync(tmp, ids.uid, ids.gid);
      else result.unknownOwners.push(`${p.target} (${p.owner})`);
    }
    if (opts.system && p.before !== null) {
      const backup = `${p.target}.omr-backup-${stamp}`;
      copyFileSync(p.target, backup);
      chmodSync(backup, statSync(p.target).mode & 0o777 & ~0o077); // a backup of a secret stays private
      result.backups.push(backup);
    }
    renameSync(tmp, p.target);
    result.written.push(p.target);
  }
  return result;
}
