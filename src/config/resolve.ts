// Precedence: flag > OMR_* environment variable > config file > default. Every problem from
// every source is collected and reported together.
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import { RELAY_KEYS, camel, defaultHostname, envName, isListKey, parseKeyText, type ConfigKey, type RelayConfig } from './relay-keys.js';
import { loadConfigFile, type LoadedFile } from './load.js';
import { checkRules } from './rules.js';

export type Origin = 'flag' | 'env' | 'file' | 'default';

export interface ResolveInput {
  /** Parsed flag values keyed by camelCase name (commander's opts()). */
  flags?: Record<string, unknown>;
  /** Which flags were given on the command line (camelCase names). */
  flagGiven?: (camelName: string) => boolean;
  env?: NodeJS.ProcessEnv;
  /** Config file path (from --config or OMR_CONFIG). */
  file?: string;
}

export interface Resolved {
  config: RelayConfig;
  origins: Record<string, Origin>;
  file?: LoadedFile;
  warnings: ConfigProblem[];
}

function fromEnv(k: ConfigKey, text: string): unknown {
  if (isListKey(k)) return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseKeyText(k, s));
  return parseKeyText(k, text);
}

/** Resolves all relay settings; throws ConfigError listing every error. */
export function resolveRelayConfig(input: ResolveInput): Resolved {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const given = input.flagGiven ?? ((n: string) => flags[n] !== undefined);
  const filePath = input.file ?? (env.OMR_CONFIG || undefined);
  const file = filePath ? loadConfigFile(filePath) : undefined;
  const problems: ConfigProblem[] = [...(file?.problems ?? [])];
  const out: Record<string, unknown> = {};
  const origins: Record<string, Origin> = {};

  for (const k of RELAY_KEYS) {
    const name = camel(k.key);
    const ev = env[envName(k.key)];
    if (given(name) && flags[name] !== undefined) {
      out[name] = flags[name];
      origins[k.key] = 'flag';
    } else if (ev !== undefined && ev !== '') {
      try {
        out[name] = fromEnv(k, ev);
        origins[k.key] = 'env';
      } catch (e) {
        problems.push({ key: envName(k.key), message: (e as Error).message, severity: 'error' });
      }
    } else if (file && k.key in file.values) {
      out[name] = file.values[k.key];
      origins[k.key] = 'file';
    } else if (k.default !== undefined) {
      out[name] = structuredClone(k.default);
      origins[k.key] = 'default';
    }
  }
  if (out.hostname === undefined) {
    out.hostname = defaultHostname();
    origins.hostname = 'default';
  }
  if (out.tls === undefined) {
    out.tls = (out.smarthost as { port: number }).port === 465 ? 'implicit' : 'starttls';
    origins.tls = 'default';
  }
  const config = out as unknown as RelayConfig;
  // Rules need every value parsed; with source errors they would only add noise.
  const ruleProblems = problems.some((p) => p.severity === 'error') ? [] : checkRules(config, (key) => ({ origin: origins[key], file: file?.path, line: origins[key] === 'file' ? file?.lineOf(key) : undefined }));
  problems.push(...ruleProblems);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new ConfigError(problems, file ? `Fix ${file.path} and run: omr config check ${file.path}` : undefined);
  return { config, origins, file, warnings: problems.filter((p) => p.severity === 'warning') };
}
