// The edge where a result becomes text: JSON (stdout, one document) or human lines.
import { rawJsonOf } from '../core/raw-json.js';
import type { Envelope } from '../core/result.js';
import type { RenderStyle } from './spec.js';

/**
 * Arrays in `data` longer than this are written one compact element per line: `omr queue list
 * --json` on 100,000 messages is then about a third smaller and faster to write and to read, and
 * still one JSON document with the same content.
 */
const LONG_ARRAY = 1000;

export function renderJson(env: Envelope<unknown>): string {
  return [...renderJsonChunks(env)].join('');
}

/** Bytes of JSON per chunk: small enough to be short-lived young-generation strings. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The same document in pieces, produced as they are consumed: `omr queue list --json` on
 * 100,000 messages writes about 50 MB, and writing it chunk by chunk spares building (and
 * encoding) one 50 MB string, which on a loaded VM costs more than the listing itself.
 */
export function* renderJsonChunks(env: Envelope<unknown>): Generator<string> {
  const data = env.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return yield JSON.stringify(env, null, 2) + '\n';
  const long = Object.entries(data as Record<string, unknown>).filter(([, v]) => Array.isArray(v) && v.length > LONG_ARRAY);
  if (!long.length) return yield JSON.stringify(env, null, 2) + '\n';
  // Pretty-print the envelope with a placeholder per long array, then put the arrays in.
  const marks = new Map(long.map(([k], i) => [k, `\u0000omr-long-array-${i}\u0000`]));
  const shallow = { ...(data as Record<string, unknown>) };
  for (const [k, mark] of marks) shallow[k] = mark;
  let text = JSON.stringify({ ...env, data: shallow }, null, 2);
  for (const [k, v] of long) {
    const mark = JSON.stringify(marks.get(k));
    const at = text.indexOf(mark);
    let parts = [text.slice(0, at), '[\n      '];
    let size = 0;
    const arr = v as unknown[];
    for (let i = 0; i < arr.length; i++) {
      const x = arr[i];
      const item = rawJsonOf(x) ?? JSON.stringify(x) ?? 'null';
      if (i) parts.push(',\n      ');
      parts.push(item);
      if ((size += item.length) < CHUNK_CHARS) continue;
      yield parts.join('');
      parts = [];
      size = 0;
    }
    parts.push('\n    ]');
    yield parts.join('');
    text = text.slice(at + mark.length);
  }
  yield text + '\n';
}

/** Human lines joined into pieces of about CHUNK_CHARS: one write each, never one string of it all. */
export function* linesInChunks(lines: Iterable<string>): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  for (const line of lines) {
    batch.push(line);
    if ((size += line.length + 1) < CHUNK_CHARS) continue;
    yield batch.join('\n') + '\n';
    batch = [];
    size = 0;
  }
  if (batch.length) yield batch.join('\n') + '\n';
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
