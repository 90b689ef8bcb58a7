// --demo: the built-in OMR simulator on loopback as the smarthost, so a newcomer sees mail flow
// with one command. The simulator gets a random password that never leaves this process.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { formatHostPort, type HostPort } from '../core/parse.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import type { RelayOptions } from './types.js';

export const DEMO_LISTEN: HostPort = { host: '127.0.0.1', port: 2525 };

export interface Demo {
  simulator: Simulator;
  close(): Promise<void>;
}

/** Starts the simulator and points the relay options at it (in place). */
export async function startDemo(opts: RelayOptions, logger: Logger, over: { listenGiven: boolean; spoolGiven: boolean; cwd?: string }): Promise<Demo> {
  const password = randomBytes(12).toString('base64url');
  const simulator = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    accounts: [{ user: 'demo', password }],
    maxConnections: 5,
    logger: logger.child({ component: 'simulator' }),
  });
  opts.smarthost = { host: 'localhost', port: simulator.port };
  opts.tls = 'starttls';
  opts.ca = simulator.caPem;
  opts.user = 'demo';
  opts.password = password;
  if (!over.listenGiven) opts.listen = [{ ...DEMO_LISTEN }];
  if (!over.spoolGiven) opts.spool = join(over.cwd ?? process.cwd(), '.omr-demo', 'spool');
  logger.info('demo: OMR simulator started as the smarthost', { smarthost: formatHostPort({ host: simulator.host, port: simulator.port }) });
  return { simulator, close: () => simulator.close() };
}

/** Lines telling the user how to send a test message to the relay. */
export function demoInstructions(at: HostPort, spool = '.omr-demo/spool'): string[] {
  const addr = formatHostPort(at);
  return [
    `Relay listening on ${addr}, forwarding to the built-in OMR simulator.`,
    'Send a test message with one of:',
    `  swaks --server ${addr} --from you@office.example --to someone@example.net`,
    `  printf 'Subject: hello from omr\\r\\n\\r\\nIt works.\\r\\n' | curl -sS smtp://${addr} --mail-from you@office.example --mail-rcpt someone@example.net -T -`,
    `Then watch the delivery line in the log, and try: omr queue list --spool ${spool}. Stop with Ctrl-C.`,
  ];
}
