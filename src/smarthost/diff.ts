// A small unified diff (LCS over lines) for --dry-run and the write report. Files are config
// sized; above a cell budget it falls back to "replace everything", which is still correct.
const MAX_CELLS = 4_000_000;

type Op = { t: ' ' | '-' | '+'; line: string };

function ops(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map((line) => ({ t: '-' as const, line })), ...b.map((line) => ({ t: '+' as const, line }))];
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const dp = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i * w + j] = a[i] === b[j] ? dp[(i + 1) * w + j + 1]! + 1 : Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ t: ' ', line: a[i]! }); i++; j++; }
    else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) out.push({ t: '-', line: a[i++]! });
    else out.push({ t: '+', line: b[j++]! });
  }
  while (i < n) out.push({ t: '-', line: a[i++]! });
  while (j < m) out.push({ t: '+', line: b[j++]! });
  return out;
}

function split(text: string | null): string[] {
  if (text === null || text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** Unified diff with 3 lines of context; '' when equal. */
export function unifiedDiff(path: string, before: string | null, after: string, context = 3): string {
  if (before === after) return '';
  const all = ops(split(before), split(after));
  const hunks: string[] = [];
  let k = 0;
  while (k < all.length) {
    if (all[k]!.t === ' ') { k++; continue; }
    let start = Math.max(0, k - context);
    let end = k;
    while (end < all.length) {
      if (all[end]!.t !== ' ') { end++; continue; }
      let run = end;
      while (run < all.length && all[run]!.t === ' ') run++;
      if (run - end > context * 2 || run === all.length) { end = Math.min(all.length, end + context); break; }
      end = run;
    }
    const oldStart = all.slice(0, start).filter((o) => o.t !== '+').length + 1;
    const newStart = all.slice(0, start).filter((o) => o.t !== '-').length + 1;
    const chunk = all.slice(start, end);
    const oldLen = chunk.filter((o) => o.t !== '+').length;
    const newLen = chunk.filter((o) => o.t !== '-').length;
    hunks.push(`@@ -${oldLen ? oldStart : oldStart - 1},${oldLen} +${newLen ? newStart : newStart - 1},${newLen} @@`);
    for (const o of chunk) hunks.push(o.t + o.line);
    k = end;
    start = end;
  }
  return [`--- ${before === null ? '/dev/null' : path}`, `+++ ${path}`, ...hunks].join('\n') + '\n';
}
