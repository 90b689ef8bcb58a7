// The option table: one declaration per command drives commander, --help, the man pages and
// the README option lists, so they cannot drift apart. Spec files must stay import-light
// (no smtp, no chalk): the command's implementation is loaded lazily by `load`.
import type { Writable } from 'node:stream';
import type { Logger, LogFormat } from '../core/logger.js';
import type { CommandResult, Envelope } from '../core/result.js';

export interface OptionSpec {
  /** Commander flags, e.g. "--port <list>", "--send", "--no-relay-test", "--listen <addr:port>". */
  flags: string;
  description: string;
  /** Default value applied when the flag is absent (shown in --help and man). */
  default?: unknown;
  /** How the default is shown when it is not a literal (e.g. "RFC 1918, loopback, ULA"). */
  defaultText?: string;
  /** Converts the raw text; throw an Error whose message says what is expected. */
  parse?: (value: string) => unknown;
  /** Repeatable flag: values collect into an array (`--listen A --listen B`). */
  repeatable?: boolean;
  choices?: readonly string[];
  /** Environment variable that may supply the value (flag > env > config file > default). */
  env?: string;
  /** Key in the relay config file that this flag overrides. */
  configKey?: string;
  hidden?: boolean;
}

export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
}

export interface Example {
  command: string;
  description: string;
}

/** Runtime services handed to a command implementation. Only src/cli creates these. */
export interface CommandContext {
  /** Full command path, e.g. "relay start", used as the envelope's `command`. */
  command: string;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  strict: boolean;
  /** Colour allowed on stderr (TTY, not --json, not NO_COLOR/--no-color, or FORCE_COLOR). */
  color: boolean;
  /** Spinners allowed (stderr is a TTY and not --json). */
  interactive: boolean;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Logger on stderr (text); use makeLogger for --log-format. */
  logger: Logger;
  makeLogger(format: LogFormat, base?: Record<string, unknown>): Logger;
  /** Aborted on the first SIGINT/SIGTERM; long-running commands stop gracefully on it. */
  signal: AbortSignal;
  /** Aborted on SIGHUP, then re-armed: `onReload(cb)` registers a reload handler. */
  onReload(cb: () => void): void;
  /** Human progress on stderr; no-ops in --json/quiet. Returns a handle to finish it. */
  progress(text: string): { update(text: string): void; succeed(text?: string): void; fail(text?: string): void; stop(): void };
  /** A human line on stderr (suppressed by --quiet and in --json mode). */
  note(line: string): void;
  /** Asks for a secret without echo; present only when stdin and stderr are terminals. */
  promptSecret?(question: string): Promise<string>;
  /** Whether an option was given on the command line (camelCase attribute name, e.g. "maxConnections"). */
  given(optionName: string): boolean;
}

export interface CommandModule<D = Record<string, unknown>> {
  /** Does the work; returns the result model. Never prints the result, never exits. */
  run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<D>>;
  /**
   * Renders the envelope for people, line by line; defaults to the generic check list. An
   * iterable (a generator) is written as it is produced, for long outputs.
   */
  render?(env: Envelope<D>, style: RenderStyle): Iterable<string>;
}

/** Colour helpers for renderers; identity functions when colour is off. */
export interface RenderStyle {
  color: boolean;
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  status(status: 'pass' | 'warn' | 'fail' | 'skip'): string;
}

export interface CommandSpec {
  /** The word on the command line, e.g. "test", "start", "check-exposure". */
  name: string;
  summary: string;
  /** Longer text for --help and the man page DESCRIPTION (paragraphs separated by blank lines). */
  description?: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  examples?: Example[];
  /** Subcommands (e.g. relay start|status, queue list|show). A parent with subcommands has no load. */
  subcommands?: CommandSpec[];
  /** Lazily imports the implementation. */
  load?: () => Promise<CommandModule<any>>;
  /** Man page this command is documented in, e.g. "omr-relay" (top-level commands only). */
  manPage?: string;
  /** Extra man page sections: title -> paragraphs. */
  manSections?: Record<string, string>;
}
