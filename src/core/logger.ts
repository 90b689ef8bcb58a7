// Structured logger handed to domain code. Domain code never writes to stdout/stderr itself.
// Text lines for people, JSON lines (--log-format json) for log shippers. Always stderr by
// default so that `--json` keeps stdout for the envelope alone.
import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  format?: LogFormat;
  level?: LogLevel;
  stream?: Writable;
  color?: boolean;
  /** Fields on every line (e.g. component name). */
  base?: LogFields;
  /** Injected clock for tests. */
  now?: () => Date;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|credential/i;
const COLORS: Record<LogLevel, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

/** Replace values of secret-looking keys, recursively, so secrets cannot reach a log line. */
export function redactFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '') out[k] = '[redacted]';
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error)) out[k] = redactFields(v as LogFields);
    else out[k] = v;
  }
  return out;
}

function textValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

function jsonValue(_k: string, v: unknown): unknown {
  if (v instanceof Error) return { message: v.message, code: (v as NodeJS.ErrnoException).code };
  if (typeof v === 'bigint') return v.toString();
  return v;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? 'text';
  const level = opts.level ?? 'info';
  const stream = opts.stream ?? process.stderr;
  const color = opts.color ?? false;
  const now = opts.now ?? (() => new Date());
  const base = opts.base ?? {};

  const write = (lvl: LogLevel, event: string, fields?: LogFields): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    const all = redactFields({ ...base, ...fields });
    let line: string;
    if (format === 'json') {
      line = JSON.stringify({ time: now().toISOString(), level: lvl, event, ...all }, jsonValue);
    } else {
      const kv = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${textValue(v)}`)
        .join(' ');
      const lv = lvl.padEnd(5);
      line = `${now().toISOString()} ${color ? COLORS[lvl] + lv + '\x1b[0m' : lv} ${event}${kv ? ' ' + kv : ''}`;
    }
    stream.write(line + '\n');
  };

  return {
    level,
    debug: (e, f) => write('debug', e, f),
    info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f),
    error: (e, f) => write('error', e, f),
    child: (fields) => createLogger({ ...opts, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (library default). */
export const silentLogger: Logger = {
  level: 'error',
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** Collects entries in memory: for tests that assert on what was logged. */
export function memoryLogger(): Logger & { entries: Array<{ level: LogLevel; event: string; fields: LogFields }> } {
  const entries: Array<{ level: LogLevel; event: string; fields: LogFields }> = [];
  const make = (base: LogFields): Logger => ({
    level: 'debug',
    debug: (event, f) => entries.push({ level: 'debug', event, fields: redactFields({ ...base, ...f }) }),
    info: (event, f) => entries.push({ level: 'info', event, fields: redactFields({ ...base, ...f }) }),
    warn: (event, f) => entries.push({ level: 'warn', event, fields: redactFields({ ...base, ...f }) }),
    error: (event, f) => entries.push({ level: 'error', event, fields: redactFields({ ...base, ...f }) }),
    child: (fields) => make({ ...base, ...fields }),
  });
  return Object.assign(make({}), { entries });
}
