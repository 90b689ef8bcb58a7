// Reads a YAML config file and validates it, reporting every problem at once with its line.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import type { ConfigProblem } from '../core/errors.js';
import { RELAY_KEYS } from './relay-keys.js';
import { relayFileSchema } from './schema.js';
import { suggest } from './suggest.js';

export interface LoadedFile {
  path: string;
  /** Parsed values keyed by the file's (kebab-case) keys; only keys without problems. */
  values: Record<string, unknown>;
  problems: ConfigProblem[];
  lineOf(key: string): number | undefined;
}

const KEY_NAMES = RELAY_KEYS.map((k) => k.key);

export function loadConfigFile(path: string): LoadedFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return { path, values: {}, problems: [{ key: '', file: path, message: `cannot read the config file (${code})`, severity: 'error' }], lineOf: () => undefined };
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, path: string): LoadedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  const keyLines = collectKeyLines(doc, lines);
  const lineOf = (key: string) => keyLines.get(key);

  for (const err of [...doc.errors, ...doc.warnings]) {
    const line = err.linePos?.[0]?.line;
    problems.push({ key: '', file: path, line, message: err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), severity: err.name === 'YAMLWarning' ? 'warning' : 'error' });
  }
  if (doc.errors.length) return { path, values: {}, problems, lineOf };

  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ key: '', file: path, line: 1, message: 'the config file must be a mapping of key: value lines', severity: 'error' });
    return { path, values: {}, problems, lineOf };
  }

  const result = relayFileSchema.safeParse(raw);
  const bad = new Set<string>();
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          const s = suggest(k, KEY_NAMES);
          problems.push({ key: k, file: path, line: lineOf(k), message: `unknown key${s ? ` (did you mean "${s}"?)` : ''}`, severity: 'error' });
        }
        continue;
      }
      const top = String(issue.path[0] ?? '');
      bad.add(top);
      const keyPath = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');
      const message = issue.code === 'invalid_union' ? `invalid value: expected ${expectation(top)}` : issue.message;
      problems.push({ key: keyPath, file: path, line: lineOfPath(doc, lines, issue.path as Array<string | number>) ?? lineOf(top), message, severity: 'error' });
    }
  }
  const values: Record<string, unknown> = {};
  if (result.success) Object.assign(values, result.data);
  else {
    // Re-validate each good key alone so callers can still show what parsed.
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (bad.has(k) || !KEY_NAMES.includes(k)) continue;
      const one = relayFileSchema.partial().safeParse({ [k]: v });
      if (one.success) values[k] = (one.data as Record<string, unknown>)[k];
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { path, values, problems, lineOf };
}

function expectation(key: string): string {
  const k = RELAY_KEYS.find((x) => x.key === key);
  return k ? `${k.type === 'hostport-list' || k.type === 'cidr-list' ? 'a value or a list' : 'a single value'}` : 'a valid value';
}

function lineOfPath(doc: Document, lines: LineCounter, path: Array<string | number>): number | undefined {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  return node?.range ? lines.linePos(node.range[0]).line : undefined;
}

function collectKeyLines(doc: Document, lines: LineCounter): Map<string, number> {
  const out = new Map<string, number>();
  if (!isMap(doc.contents)) return out;
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && pair.key.range) out.set(String(pair.key.value), lines.linePos(pair.key.range[0]).line);
  }
  return out;
}
