// A private Postfix instance as a relay-only satellite: its own config, queue and data
// directories under a temp dir, listening on 127.0.0.1 only, relaying everything to the sink
// with at most `upstream` deliveries at once. The machine's own Postfix is never touched.
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { HOST, alive, freePort, requireTool, run, sleep, waitForBanner } from './proc.js';
import { processTree } from './sampler.js';

export interface PostfixOptions {
  dir: string;
  sinkPort: number;
  /** Simultaneous deliveries to the sink. */
  upstream: number;
  /**
   * Keep Postfix's on-demand connection cache. Off by default: Postfix counts delivery agents,
   * not connections, so with the cache on it can hold more than `upstream` sessions.
   */
  connectionCache?: boolean;
}

export interface RelayHandle {
  name: string;
  port: number;
  /** Root of the process tree to sample. */
  pid: number;
  stop(): Promise<void>;
  /** Log lines for a failure report. */
  logTail(): Promise<string>;
}

export function mainCf(o: PostfixOptions & { etc: string; queue: string; data: string; log: string }): string {
  return [
    'compatibility_level = 3.6',
    `config_directory = ${o.etc}`,
    `queue_directory = ${o.queue}`,
    `data_directory = ${o.data}`,
    'mail_owner = postfix',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'myhostname = postfix.bench.test',
    'mydestination =',
    'local_recipient_maps =',
    'local_transport = error:local delivery disabled',
    'alias_maps =',
    'alias_database =',
    'biff = no',
    `relayhost = [${HOST}]:${o.sinkPort}`,
    'mynetworks = 127.0.0.0/8',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    `default_destination_concurrency_limit = ${o.upstream}`,
    `smtp_destination_concurrency_limit = ${o.upstream}`,
    `smtp_connection_cache_on_demand = ${o.connectionCache ? 'yes' : 'no'}`,
    'message_size_limit = 104857600',
    'syslog_name = postfix-bench',
    `maillog_file = ${o.log}`,
    `maillog_file_prefixes = ${o.log}`,
    '',
  ].join('\n');
}

/** Only the services a satellite needs, none chrooted (the queue dir has no chroot setup). */
export function masterCf(port: number): string {
  const rows = [
    `${HOST}:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return rows.join('\n') + '\n';
}

export async function startPostfix(o: PostfixOptions): Promise<RelayHandle> {
  const postfix = requireTool('postfix', 'postfix');
  if (userInfo().uid !== 0) throw new Error('a private Postfix instance needs root (it switches to the postfix user)');
  const etc = join(o.dir, 'etc');
  const queue = join(o.dir, 'queue');
  const data = join(o.dir, 'data');
  const log = join(o.dir, 'maillog');
  for (const d of [etc, queue, data]) await mkdir(d, { recursive: true });
  // Postfix daemons run as the postfix user: they must reach the queue and own data/.
  await chmod(o.dir, 0o755);
  const pf = run('id', ['-u', 'postfix']);
  const pg = run('id', ['-g', 'postfix']);
  if (pf.status !== 0) throw new Error('no "postfix" user: install the Debian package "postfix"');
  await chown(data, Number(pf.out.trim()), Number(pg.out.trim()));
  const port = await freePort();
  await writeFile(join(etc, 'main.cf'), mainCf({ ...o, etc, queue, data, log }));
  await writeFile(join(etc, 'master.cf'), masterCf(port));
  const started = run(postfix, ['-c', etc, 'start']);
  const logTail = async (): Promise<string> => (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
  if (started.status !== 0) throw new Error(`postfix -c ${etc} start failed: ${started.out.trim()}\n${await logTail()}`);
  const pid = Number((await readFile(join(queue, 'pid', 'master.pid'), 'utf8')).trim());
  const stop = async (): Promise<void> => {
    run(postfix, ['-c', etc, 'stop']);
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    // Still there after 10 s: kill the whole tree so nothing outlives the benchmark.
    if (alive(pid)) for (const p of processTree(pid).reverse()) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  };
  try {
    await waitForBanner(port, 10_000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${await logTail()}`);
  }
  return { name: 'postfix', port, pid, stop, logTail };
}
