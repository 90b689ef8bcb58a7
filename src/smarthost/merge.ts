// Managed-block merge: our lines live between BEGIN/END markers, so a second run replaces them
// in place (idempotent) and everything outside stays as the admin wrote it. Settings outside
// the block that the block also sets are commented out with a marker instead of being left to
// "last one wins" (postconf warns about duplicates; people misread them).
import type { GeneratedFile, MergeMode } from './types.js';

export const BEGIN = 'BEGIN omr-cli managed block: edits inside are replaced by the next run';
export const END = 'END omr-cli managed block';
const SUPERSEDED = '[omr-cli superseded]';

function markers(comment: string): [string, string] {
  return [`${comment} ${BEGIN}`, `${comment} ${END}`];
}

/** Keys a block assigns: "name = value" (postfix) or "name=value" (shell). */
function assignedKeys(block: string): Set<string> {
  const keys = new Set<string>();
  for (const line of block.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m) keys.add(m[1]!);
  }
  return keys;
}

function supersede(lines: string[], keys: Set<string>, comment: string, continuation: boolean): string[] {
  const out: string[] = [];
  let inSuperseded = false;
  for (const line of lines) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m && keys.has(m[1]!)) {
      out.push(`${comment} ${SUPERSEDED} ${line}`);
      inSuperseded = true;
    } else if (inSuperseded && continuation && /^[ \t]+\S/.test(line)) {
      out.push(`${comment} ${SUPERSEDED} ${line}`);
    } else {
      inSuperseded = false;
      out.push(line);
    }
  }
  return out;
}

/** The file's new content given what exists (null when the file is new). */
export function mergeContent(file: Pick<GeneratedFile, 'content' | 'merge'>, existing: string | null): string {
  const mode: MergeMode = file.merge;
  if (mode.kind === 'whole') return file.content;
  const [begin, end] = markers(mode.comment);
  const block = [begin, file.content.replace(/\n$/, ''), end].join('\n');
  if (existing === null || existing === '') return block + '\n';
  const lines = existing.replace(/\n$/, '').split('\n');
  const b = lines.indexOf(begin);
  const e = lines.indexOf(end, b + 1);
  let outside: string[];
  let at: number;
  if (b !== -1 && e !== -1) {
    outside = [...lines.slice(0, b), ...lines.slice(e + 1)];
    at = b;
  } else {
    outside = lines;
    at = -1;
  }
  if (mode.supersede) outside = supersede(outside, assignedKeys(file.content), mode.comment, mode.supersede === 'postfix');
  if (at === -1 && mode.before) {
    const idx = outside.findIndex((l) => mode.before!.test(l));
    if (idx !== -1) at = idx;
  }
  if (at === -1) at = outside.length;
  return [...outside.slice(0, at), ...block.split('\n'), ...outside.slice(at)].join('\n') + '\n';
}
