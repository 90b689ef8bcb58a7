// Errors that stop a command carry their exit code and a hint; only src/cli/main.ts turns them
// into a process exit.

export class OmrError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  readonly code: string;
  constructor(message: string, opts: { exitCode: number; hint?: string; code?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode;
    this.hint = opts.hint;
    this.code = opts.code ?? 'EOMR';
  }
}

/** Exit 2: unknown flag, invalid value, missing credential. */
export class UsageError extends OmrError {
  constructor(message: string, hint?: string, code = 'EUSAGE') {
    super(message, { exitCode: 2, hint, code });
  }
}

export interface ConfigProblem {
  /** Dotted key path, e.g. "max-connections" or "allow[2]". */
  key: string;
  message: string;
  file?: string;
  line?: number;
  severity: 'error' | 'warning';
}

/** Exit 2: one or more problems in a config file, all reported at once. */
export class ConfigError extends OmrError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], hint?: string) {
    super(ConfigError.describe(problems), { exitCode: 2, hint, code: 'ECONFIG' });
    this.problems = problems;
  }

  static formatProblem(p: ConfigProblem): string {
    const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : p.line ? `line ${p.line}: ` : '';
    return `${where}${p.key ? `${p.key}: ` : ''}${p.message}`;
  }

  static describe(problems: ConfigProblem[]): string {
    const errors = problems.filter((p) => p.severity === 'error');
    const head = errors.length === 1 ? '1 problem in the configuration' : `${errors.length} problems in the configuration`;
    return [head + ':', ...errors.map((p) => '  ' + ConfigError.formatProblem(p))].join('\n');
  }
}

/** Exit 1: the command ran and found a failure it cannot express as checks. */
export class FailureError extends OmrError {
  constructor(message: string, hint?: string, code = 'EFAIL') {
    super(message, { exitCode: 1, hint, code });
  }
}

/** A bug: exit 70 (EX_SOFTWARE); the CLI prints the stack with --verbose. */
export class InternalError extends OmrError {
  constructor(message: string, cause?: unknown) {
    super(message, { exitCode: 70, code: 'EINTERNAL', cause });
  }
}

export function isOmrError(e: unknown): e is OmrError {
  return e instanceof OmrError;
}
