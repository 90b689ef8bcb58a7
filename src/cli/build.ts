// Turns the CommandSpec tree into a commander program. The same specs feed the man pages.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandSpec, OptionSpec } from './spec.js';

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: '--json', description: 'print exactly one JSON document (the result envelope) on stdout' },
  { flags: '--no-color', description: 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)' },
  { flags: '-v, --verbose', description: 'more detail, debug logs, stack traces for internal errors' },
  { flags: '-q, --quiet', description: 'only warnings, errors and the result' },
  { flags: '--strict', description: 'treat warnings as failures (exit 1)' },
];

export function describeOption(spec: OptionSpec): string {
  let d = spec.description;
  const def = spec.defaultText ?? (spec.default !== undefined && typeof spec.default !== 'boolean' ? String(spec.default) : undefined);
  if (def !== undefined) d += ` (default: ${def})`;
  if (spec.env) d += ` [env: ${spec.env}]`;
  return d;
}

export function makeOption(spec: OptionSpec): Option {
  const o = new Option(spec.flags, describeOption(spec));
  if (spec.choices) o.choices(spec.choices);
  if (spec.parse || spec.repeatable) {
    o.argParser((value: string, previous: unknown) => {
      let v: unknown = value;
      if (spec.parse) {
        try {
          v = spec.parse(value);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      }
      return spec.repeatable ? [...((previous as unknown[] | undefined) ?? []), v] : v;
    });
  }
  if (spec.hidden) o.hideHelp();
  return o;
}

export type Action = (spec: CommandSpec, path: string[], cmd: Command) => Promise<void>;

function attach(parent: Command, spec: CommandSpec, path: string[], action: Action): void {
  const cmd = parent.command(spec.name).summary(spec.summary).description(spec.description ? `${spec.summary}\n\n${spec.description}` : spec.summary);
  for (const a of spec.args ?? []) {
    const n = a.variadic ? `${a.name}...` : a.name;
    cmd.argument(a.required ? `<${n}>` : `[${n}]`, a.description);
  }
  const full = [...path, spec.name];
  if (spec.subcommands?.length) {
    for (const sub of spec.subcommands) attach(cmd, sub, full, action);
    return;
  }
  for (const o of spec.options ?? []) cmd.addOption(makeOption(o));
  for (const g of GLOBAL_OPTIONS) cmd.addOption(makeOption(g));
  if (spec.examples?.length) {
    const ex = spec.examples.map((e) => `  $ ${e.command}\n      ${e.description}`).join('\n');
    cmd.addHelpText('after', `\nExamples:\n${ex}`);
  }
  cmd.action(async (..._args: unknown[]) => action(spec, full, cmd));
}

export function buildProgram(specs: readonly CommandSpec[], version: string, action: Action): Command {
  const program = new Command('omr');
  program
    .description('omr-cli: a LAN relay, tester, exposure checker and SmartHost config generator for offices that send mail through an authenticated smarthost such as TZO OMR.')
    .version(version, '-V, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  for (const g of GLOBAL_OPTIONS) program.addOption(makeOption(g));
  for (const s of specs) attach(program, s, [], action);
  return program;
}
