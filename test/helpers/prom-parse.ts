// A strict parser for the Prometheus text exposition format (version 0.0.4), used to prove that
// /metrics is well-formed: every line must parse, TYPE/HELP at most once per family and before
// its samples, a family's samples contiguous, no duplicate series, label values correctly escaped.
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface PromFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseValue(t: string, line: number): number {
  // Values follow Go's strconv.ParseFloat, which takes NaN and Inf case-insensitively.
  if (/^nan$/i.test(t)) return NaN;
  if (/^\+?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw new Error(`line ${line}: bad value "${t}"`);
  return Number(t);
}

function familyOf(sample: string, families: Map<string, PromFamily>): string {
  for (const suf of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (sample.endsWith(suf)) {
      const base = sample.slice(0, -suf.length);
      const f = families.get(base);
      if (f && (f.type === 'histogram' || f.type === 'summary' || (suf === '_total' && f.type === 'counter'))) return base;
    }
  }
  return sample;
}

function parseLabels(s: string, line: number): [Record<string, string>, string] {
  const labels: Record<string, string> = {};
  let rest = s.slice(1);
  while (true) {
    rest = rest.replace(/^\s+/, '');
    if (rest.startsWith('}')) return [labels, rest.slice(1)];
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`line ${line}: bad label name in "${s}"`);
    rest = rest.slice(m[0].length).replace(/^\s+/, '');
    if (!rest.startsWith('="')) throw new Error(`line ${line}: expected =" after label ${m[0]}`);
    rest = rest.slice(2);
    let v = '';
    for (;;) {
      const c = rest[0];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      rest = rest.slice(1);
      if (c === '"') break;
      if (c === '\\') {
        const e = rest[0];
        rest = rest.slice(1);
        if (e === 'n') v += '\n';
        else if (e === '\\' || e === '"') v += e;
        else throw new Error(`line ${line}: bad escape \\${e}`);
      } else if (c === '\n') throw new Error(`line ${line}: raw newline in label value`);
      else v += c;
    }
    if (m[0] in labels) throw new Error(`line ${line}: duplicate label ${m[0]}`);
    labels[m[0]] = v;
    rest = rest.replace(/^\s+/, '');
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (!rest.startsWith('}')) throw new Error(`line ${line}: expected , or } in labels`);
  }
}

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (text.length && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  lines.pop();
  const family = (name: string): PromFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }));
    return f;
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) throw new Error(`line ${n}: bad metric name ${name}`);
      const f = family(name!);
      if (f.samples.length) throw new Error(`line ${n}: ${kind} for ${name} after its samples`);
      if (kind === 'TYPE') {
        if (!TYPES.includes(rest.trim())) throw new Error(`line ${n}: unknown type ${rest}`);
        if ((f as PromFamily & { typed?: boolean }).typed) throw new Error(`line ${n}: second TYPE for ${name}`);
        Object.assign(f, { type: rest.trim(), typed: true });
      } else {
        if (f.help !== undefined) throw new Error(`line ${n}: second HELP for ${name}`);
        f.help = rest;
      }
      return;
    }
    const nm = NAME.exec(raw);
    if (!nm) throw new Error(`line ${n}: bad sample "${raw}"`);
    let rest = raw.slice(nm[0].length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) [labels, rest] = parseLabels(rest, n);
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`line ${n}: expected " value [timestamp]" in "${raw}"`);
    const value = parseValue(parts[0]!, n);
    const timestamp = parts[1] !== undefined ? Number(parts[1]) : undefined;
    if (timestamp !== undefined && !Number.isInteger(timestamp)) throw new Error(`line ${n}: bad timestamp`);
    const fname = familyOf(nm[0], families);
    if (fname !== current) {
      if (closed.has(fname)) throw new Error(`line ${n}: samples of ${fname} are not contiguous`);
      if (current) closed.add(current);
      current = fname;
    }
    const key = nm[0] + JSON.stringify(Object.entries(labels).sort());
    if (series.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    series.add(key);
    family(fname).samples.push({ name: nm[0], labels, value, timestamp });
  });
  return families;
}
