// `omr test`: turns flags into TestOptions, resolves the password, shows progress or a
// transcript on stderr, and returns the result model. The probing itself is src/probe.
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../../cli/spec.js';
import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { parseHostPort } from '../../core/parse.js';
import type { CommandResult } from '../../core/result.js';
import { requirePassword } from '../../core/secrets.js';
import { runTest, type TestData, type TestOptions } from '../../probe/run-test.js';
import type { TranscriptEvent } from '../../probe/smtp-session.js';
import type { PortChoice } from './spec.js';
import { phaseRank, type StopPhase, type TlsMode } from '../../probe/types.js';

export { render } from './render.js';

export const DEFAULT_HOST = 'omr.tzo.com';

interface Flags {
  port: PortChoice[];
  timeout: number;
  user?: string;
  authMech?: 'PLAIN' | 'LOGIN';
  passwordFile?: string;
  from?: string;
  to?: string;
  send?: boolean;
  stopAfter?: StopPhase;
  tls: TlsMode;
  ca?: string;
  expectBanner?: RegExp;
  connections?: number;
  transcript?: boolean;
  ehlo?: string;
}

/** The last phase the flags ask for, or a usage error when they contradict each other. */
export function targetPhase(f: Flags): StopPhase {
  if (Boolean(f.from) !== Boolean(f.to)) throw new UsageError(`--${f.from ? 'to' : 'from'} is missing: MAIL and RCPT are tried only with both --from and --to`);
  if (f.send && !f.from) throw new UsageError('--send needs --from and --to (the test message needs a sender and a recipient)');
  if (f.authMech && !f.user) throw new UsageError('--auth-mech needs --user');
  if (f.user && f.tls === 'none') throw new UsageError('--tls none with --user: omr never sends a password without TLS', 'Use --tls auto (the default) or starttls/implicit.');
  const natural: StopPhase = f.send ? 'data' : f.from ? 'rcpt' : f.user ? 'auth' : f.tls === 'none' ? 'ehlo' : 'tls';
  const stop = f.stopAfter ?? natural;
  if (stop === 'tls' && f.tls === 'none') throw new UsageError('--stop-after tls with --tls none: there is no TLS phase');
  if (stop === 'auth' && !f.user) throw new UsageError('--stop-after auth needs --user (and a password from OMR_PASSWORD or --password-file)');
  if ((stop === 'mail' || stop === 'rcpt') && !f.from) throw new UsageError(`--stop-after ${stop} needs --from and --to`);
  if (stop === 'data' && !f.send) throw new UsageError('--stop-after data needs --send (a test message is really sent)');
  return phaseRank(stop) > phaseRank(natural) ? natural : stop;
}

/** HOST, HOST:PORT, [IPv6] or [IPv6]:PORT, or a bare IPv6 address. */
export function parseTarget(text: string): { host: string; port?: number } {
  if (isIP(text)) return { host: text };
  try {
    const hp = parseHostPort(text, -1);
    return hp.port === -1 ? { host: hp.host } : hp;
  } catch (e) {
    throw new UsageError(`HOST ${text}: ${(e as Error).message}`);
  }
}

function readCa(path: string): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (e) {
    throw new UsageError(`--ca ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Give a PEM file with the CA certificate (omr simulate writes one with --ca-out).');
  }
}

/** swaks style: "[587] -> EHLO x", "[587] <-  250 ok", "[587] === TLS started". */
export function transcriptLine(port: number, e: TranscriptEvent): string {
  const arrow = e.dir === 'send' ? (e.tls ? ' ~> ' : ' -> ') : e.dir === 'recv' ? (e.tls ? '<~  ' : '<-  ') : '=== ';
  return `[${port}] ${arrow}${e.line}`;
}

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<TestData>> {
  const f = opts as unknown as Flags;
  const { host, port } = parseTarget(args[0] ?? DEFAULT_HOST);
  if (port !== undefined) {
    if (ctx.given('port')) throw new UsageError(`${args[0]}: give the port either in HOST:PORT or with --port, not both`);
    f.port = [{ port }];
  }
  const stopAfter = targetPhase(f);
  const password = f.user ? await requirePassword({ passwordFile: f.passwordFile, env: ctx.env, prompt: ctx.promptSecret, user: f.user }) : undefined;
  const options: TestOptions = {
    host,
    ports: f.port.map((p) => p.port),
    portTls: Object.fromEntries(f.port.filter((p) => p.tls).map((p) => [p.port, p.tls!])),
    tls: f.tls,
    timeoutMs: f.timeout,
    stopAfter,
    ca: f.ca ? readCa(f.ca) : undefined,
    user: f.user,
    password,
    authMech: f.authMech,
    from: f.from,
    to: f.to,
    expectBanner: f.expectBanner,
    connections: f.connections,
    ehloName: f.ehlo,
    signal: ctx.signal,
  };
  if (f.transcript) options.onTranscript = (port, e) => ctx.stderr.write(transcriptLine(port, e) + '\n');
  const spinner = f.transcript ? undefined : ctx.progress(`Testing ${host} on port ${f.port.map((p) => p.port).join(', ')}…`);
  let done = 0;
  options.onPortDone = (r) => {
    done++;
    spinner?.update(`Testing ${host}: ${done} of ${f.port.length} ports done (port ${r.port} ${r.completed ? 'ok' : 'failed at ' + r.failedPhase})${f.connections && done === f.port.length ? `; opening ${f.connections} sessions…` : ''}`);
  };
  try {
    return await runTest(options);
  } finally {
    spinner?.stop();
  }
}
