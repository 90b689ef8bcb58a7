// Builds the CommandContext: the only runtime services a command implementation gets.
import { createLogger, type LogFormat } from '../core/logger.js';
import type { CommandContext } from './spec.js';

/** The flags and services main.ts parsed, as the context exposes them; makeContext adds the rest. */
export interface ContextInput extends Pick<CommandContext, 'command' | 'json' | 'verbose' | 'quiet' | 'strict' | 'color' | 'env' | 'signal' | 'given'> {
  reloaders: Array<() => void>;
  /** ora's default export, loaded only when spinners are possible. */
  ora?: typeof import('ora').default;
}

async function promptSecret(question: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password({ message: question.replace(/:\s*$/, ''), mask: '*' }, { output: process.stderr });
}

export function makeContext(i: ContextInput): CommandContext {
  const stderr = process.stderr;
  // A terminal that reports no width (e.g. `script` without a size) makes spinners redraw forever.
  const interactive = Boolean(stderr.isTTY) && (stderr.columns ?? 0) > 0 && !i.json && !i.quiet;
  const level = i.verbose ? 'debug' : i.quiet ? 'warn' : 'info';
  const makeLogger = (format: LogFormat, base?: Record<string, unknown>) => createLogger({ format, level, stream: stderr, color: i.color && format === 'text', base });
  const quietHuman = i.json || i.quiet;
  return {
    command: i.command,
    json: i.json,
    verbose: i.verbose,
    quiet: i.quiet,
    strict: i.strict,
    color: i.color,
    interactive,
    stdout: process.stdout,
    stderr,
    env: i.env,
    signal: i.signal,
    logger: makeLogger('text'),
    makeLogger,
    onReload: (cb) => i.reloaders.push(cb),
    given: i.given,
    promptSecret: process.stdin.isTTY && stderr.isTTY && !i.json ? promptSecret : undefined,
    note: (line) => {
      if (!quietHuman) stderr.write(line + '\n');
    },
    progress: (text) => {
      if (interactive && i.ora) {
        const sp = i.ora({ text, stream: stderr, color: 'cyan' }).start();
        return {
          update: (t) => void (sp.text = t),
          succeed: (t) => void sp.succeed(t),
          fail: (t) => void sp.fail(t),
          stop: () => void sp.stop(),
        };
      }
      if (!quietHuman && i.verbose) stderr.write(text + '\n');
      return { update() {}, succeed() {}, fail() {}, stop() {} };
    },
  };
}
