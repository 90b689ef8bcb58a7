// --answers FILE: a saved wizard run (YAML or JSON; kebab-case or camelCase keys).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../../core/errors.js';
import type { RawAnswers } from '../../smarthost/answers.js';

export interface AnswersFile {
  raw: RawAnswers;
  passwordFile?: string;
  runTest: boolean;
  checkExposure: boolean;
}

const KNOWN = new Set(['server', 'user', 'password-file', 'smarthost', 'tls', 'ca', 'lan', 'listen', 'hostname', 'max-connections', 'fingerprint', 'exim-split', 'run-test', 'check-exposure']);

function list(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function readAnswersFile(path: string): AnswersFile {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--answers ${path}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`--answers ${path}: expected a mapping of answers`);
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) o[k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())] = v;
  if ('password' in o) throw new UsageError(`--answers ${path}: never store the password here; use password-file or OMR_PASSWORD`);
  const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new UsageError(`--answers ${path}: unknown key ${unknown.join(', ')}`, `Known keys: ${[...KNOWN].join(', ')}`);
  if (typeof o.server !== 'string') throw new UsageError(`--answers ${path}: "server" is required`);
  return {
    raw: {
      server: o.server,
      user: o.user === undefined ? undefined : String(o.user),
      smarthost: o.smarthost === undefined ? undefined : String(o.smarthost),
      tls: o.tls === undefined ? undefined : String(o.tls),
      ca: o.ca === undefined ? undefined : String(o.ca),
      lan: list(o.lan),
      listen: list(o.listen),
      hostname: o.hostname === undefined ? undefined : String(o.hostname),
      maxConnections: o['max-connections'] as number | undefined,
      fingerprint: o.fingerprint === undefined ? undefined : String(o.fingerprint),
      eximSplit: o['exim-split'] === true,
    },
    passwordFile: o['password-file'] === undefined ? undefined : String(o['password-file']),
    runTest: o['run-test'] === true,
    checkExposure: o['check-exposure'] === true,
  };
}
