// Turns parsed CLI options into SimulatorOptions: accounts and their passwords, TLS files,
// limits and the faults given as flags. Every problem is a usage/config error (exit 2).
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { parseHostPort, parseSize, type HostPort } from '../../core/parse.js';
import { requirePassword } from '../../core/secrets.js';
import { readAccountsFile } from '../../simulator/accounts.js';
import type { Account, Fault, ReplyStage, SimulatorOptions } from '../../simulator/index.js';

export interface Resolved {
  sim: SimulatorOptions;
  listen: HostPort;
  tlsListen?: HostPort;
  caOut?: string;
  status?: HostPort;
  exitAfterMs?: number;
}

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

type Prompt = (question: string) => Promise<string>;

async function accounts(opts: Record<string, unknown>, env: NodeJS.ProcessEnv, prompt?: Prompt): Promise<Account[]> {
  const list: Account[] = [];
  if (typeof opts.accounts === 'string') list.push(...readAccountsFile(opts.accounts));
  if (typeof opts.user === 'string') {
    const password = await requirePassword({ passwordFile: opts.passwordFile as string | undefined, env, prompt, user: opts.user });
    list.push({ user: opts.user, password });
  } else if (opts.passwordFile) throw new UsageError('--password-file needs --user');
  if (!list.length && !opts.authOptional)
    throw new UsageError('no account: give --user USER (password from OMR_PASSWORD or --password-file) or --accounts FILE', 'Clients must AUTH as this account, as with OMR.');
  return list;
}

function faults(opts: Record<string, unknown>): Fault[] {
  const out: Fault[] = [];
  const counted: Array<[string, Fault['kind']]> = [
    ['greeting421', 'greeting421'],
    ['mail421', 'mail421'],
    ['rcpt4xx', 'rcpt4xx'],
    ['data421', 'data421'],
    ['data5xx', 'data5xx'],
    ['dropMidData', 'dropMidData'],
    ['stripStarttls', 'stripStarttls'],
  ];
  for (const [opt, kind] of counted) if (typeof opts[opt] === 'number') out.push({ kind, count: opts[opt] as number } as Fault);
  if (opts.failAuth) out.push({ kind: 'authFail', count: Infinity });
  for (const d of (opts.delayReply as Array<{ stage: ReplyStage; ms: number; count: number }> | undefined) ?? []) out.push({ kind: 'delayReply', ...d });
  return out;
}

const asHostPort = (v: unknown, def: number): HostPort | undefined => (v === undefined ? undefined : typeof v === 'string' ? parseHostPort(v, def) : (v as HostPort));

function rejectPattern(p: unknown): RegExp | undefined {
  if (typeof p !== 'string') return undefined;
  try {
    return new RegExp(p, 'i');
  } catch (e) {
    throw new UsageError(`--reject: ${(e as Error).message}`);
  }
}

export async function resolveOptions(opts: Record<string, unknown>, env: NodeJS.ProcessEnv, prompt?: Prompt): Promise<Resolved> {
  const listen = asHostPort(opts.listen, 2525) ?? { host: '127.0.0.1', port: 2525 };
  const tlsListen = asHostPort(opts.tlsListen, 465);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const size = typeof opts.maxMessageSize === 'string' ? parseSize(opts.maxMessageSize) : (opts.maxMessageSize as number | undefined);
  const sim: SimulatorOptions = {
    host: listen.host,
    port: listen.port,
    tlsHost: tlsListen?.host,
    tlsPort: tlsListen?.port,
    hostname: (opts.hostname as string | undefined) ?? 'omr.simulator.test',
    banner: opts.banner as string | undefined,
    accounts: await accounts(opts, env, prompt),
    maxConnections: (opts.maxConnections as number | undefined) ?? 5,
    maxTotalConnections: opts.maxTotalConnections as number | undefined,
    quotaHour: opts.quotaHour as number | undefined,
    quotaMonth: opts.quotaMonth as number | undefined,
    maxMessageSize: size,
    deferRate: opts.deferRate as number | undefined,
    deferAt: (opts.deferAt as 'connect' | 'mail' | undefined) ?? 'connect',
    seed: opts.seed as number | undefined,
    reject: rejectPattern(opts.reject),
    requireTls: opts.requireTls !== false,
    starttls: opts.starttls !== false,
    authOptional: Boolean(opts.authOptional),
    storeDir: opts.store as string | undefined,
    // the CLI keeps summaries, not message bytes, in memory: it may run for days
    keepRaw: false,
    tlsCert: typeof opts.tlsCert === 'string' ? readPem(opts.tlsCert, '--tls-cert') : undefined,
    tlsKey: typeof opts.tlsKey === 'string' ? readPem(opts.tlsKey, '--tls-key') : undefined,
    certKeyType: opts.certKeyType === 'rsa' ? 'rsa' : 'ec',
    certValidDays: opts.certDays as number | undefined,
    faults: faults(opts),
  };
  if (sim.starttls === false && sim.requireTls && !sim.authOptional && !tlsListen)
    throw new UsageError('--no-starttls leaves no way to authenticate', 'Add --no-require-tls, --auth-optional or --tls-listen.');
  return { sim, listen, tlsListen, caOut: opts.caOut as string | undefined, status: asHostPort(opts.status, 8025), exitAfterMs: opts.exitAfter as number | undefined };
}
