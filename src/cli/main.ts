// Entry point: parse, run one command, render its envelope, choose the exit code.
// This is the only module that decides the process exit code.
import { readFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { ConfigError, isOmrError, OmrError } from '../core/errors.js';
import { errorEnvelope, exitCodeFor, makeEnvelope, type Envelope } from '../core/result.js';
import { buildProgram } from './build.js';
import { makeContext } from './context.js';
import { linesInChunks, renderDefault, renderJson, renderJsonChunks } from './output.js';
import { commands } from './registry.js';
import type { CommandModule, CommandSpec } from './spec.js';
import { colorEnabled, makeStyle } from './style.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface RunState {
  code: number;
  json: boolean;
  verbose: boolean;
  command: string;
}

const USAGE_CODES = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.invalidArgument',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.excessArguments',
  'commander.conflictingOption',
]);

export async function main(argv: string[] = process.argv): Promise<number> {
  const startedAt = new Date();
  const state: RunState = { code: 0, json: argv.includes('--json'), verbose: argv.includes('--verbose') || argv.includes('-v'), command: '' };
  const program = buildProgram(commands, version(), (spec, path, cmd) => runCommand(spec, path, cmd, state, startedAt));
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  try {
    await program.parseAsync(argv);
    if (!state.command && argv.length <= 2) program.outputHelp();
    return state.code;
  } catch (e) {
    return handleError(e, state, startedAt);
  }
}

function handleError(e: unknown, state: RunState, startedAt: Date): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    const exitCode = USAGE_CODES.has(e.code) ? 2 : e.exitCode || 2;
    if (state.json) process.stdout.write(renderJson(errorEnvelope(state.command || 'omr', startedAt, { message: e.message.replace(/^error: /, ''), code: e.code, exitCode }) as Envelope<unknown>));
    return exitCode;
  }
  if (isOmrError(e)) return reportOmrError(e, state, startedAt);
  const err = e as Error;
  process.stderr.write(`omr: internal error: ${err?.message ?? String(e)}\n`);
  process.stderr.write(state.verbose ? `${err?.stack ?? ''}\n` : 'This is a bug. Run again with --verbose for the stack trace and report it.\n');
  if (state.json) process.stdout.write(renderJson(errorEnvelope(state.command || 'omr', startedAt, { message: err?.message ?? String(e), code: 'EINTERNAL', exitCode: 70 }) as Envelope<unknown>));
  return 70;
}

function reportOmrError(e: OmrError, state: RunState, startedAt: Date): number {
  process.stderr.write(`omr${state.command ? ' ' + state.command : ''}: ${e.message}\n`);
  if (e instanceof ConfigError) {
    for (const w of e.problems.filter((p) => p.severity === 'warning')) process.stderr.write(`  warning: ${ConfigError.formatProblem(w)}\n`);
  }
  if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
  if (state.verbose && e.stack) process.stderr.write(e.stack + '\n');
  if (state.json) {
    const env = errorEnvelope(state.command || 'omr', startedAt, { message: e.message, hint: e.hint, code: e.code, exitCode: e.exitCode });
    if (e instanceof ConfigError) (env.data.error as Record<string, unknown>).problems = e.problems;
    process.stdout.write(renderJson(env as Envelope<unknown>));
  }
  return e.exitCode;
}

async function runCommand(spec: CommandSpec, path: string[], cmd: Command, state: RunState, startedAt: Date): Promise<void> {
  const opts = cmd.optsWithGlobals() as Record<string, unknown>;
  const command = path.join(' ');
  state.command = command;
  state.json = Boolean(opts.json);
  state.verbose = Boolean(opts.verbose);
  const env = process.env;
  for (const o of spec.options ?? []) {
    const name = cmd.options.find((x) => x.flags === o.flags)?.attributeName();
    if (!name || opts[name] !== undefined || o.configKey) continue;
    if (o.default !== undefined) opts[name] = o.default;
  }
  const color = colorEnabled({ json: state.json, noColor: opts.color === false, env, isTTY: Boolean(process.stderr.isTTY) });
  const controller = new AbortController();
  const reloaders: Array<() => void> = [];
  const onStop = () => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: stop now
    controller.abort();
  };
  const onHup = () => reloaders.forEach((r) => r());
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onHup);
  const interactive = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !state.json && !opts.quiet;
  const ora = interactive ? (await import('ora')).default : undefined;
  const ctx = makeContext({ command, json: state.json, verbose: state.verbose, quiet: Boolean(opts.quiet), strict: Boolean(opts.strict), color, env, signal: controller.signal, reloaders, ora, given: (n) => cmd.getOptionValueSource(n) === 'cli' });
  // Give the command the processed positional arguments (variadic ones flattened).
  const args = (cmd.processedArgs as unknown[]).flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a.map(String) : [String(a)]));
  const mod: CommandModule = await spec.load!();
  try {
    const result = await mod.run(ctx, args, opts);
    const envelope = makeEnvelope(command, result, startedAt, new Date(), ctx.strict);
    if (state.json) for (const chunk of renderJsonChunks(envelope as Envelope<unknown>)) process.stdout.write(chunk);
    else if (!(opts.quiet && envelope.ok)) {
      const style = makeStyle(color);
      const lines = mod.render ? mod.render(envelope, style) : renderDefault(envelope as Envelope<unknown>, style);
      for (const chunk of linesInChunks(lines)) process.stdout.write(chunk);
    }
    state.code = exitCodeFor(envelope.verdict, ctx.strict);
  } finally {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('SIGHUP', onHup);
  }
}

/** Runs main and exits once stdout has drained (a bare process.exit could cut piped output). */
export async function start(): Promise<void> {
  const code = await main();
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}
