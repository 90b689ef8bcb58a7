// `omr relay start`: the LAN store-and-forward relay. Flags come from the relay key table
// (src/config/relay-keys.ts), so the config file, OMR_* variables and flags cannot drift.
import type { CommandSpec } from '../../cli/spec.js';
import { relayOptions } from '../../config/options.js';
import { relayOpsSubcommands } from '../relay-ops/spec.js';
import { RELAY_OPS_MAN } from '../relay-ops/man.js';

export const relayStartSpec: CommandSpec = {
  name: 'start',
  summary: 'run the LAN store-and-forward relay in the foreground',
  description: [
    'Accepts mail from LAN clients (no accounts; access by --allow networks), stores every message durably (written, fsync\'d and renamed into the spool before the 250 reply) and forwards it to one smarthost over STARTTLS or implicit TLS with AUTH, using at most --max-connections sessions including idle ones.',
    'Temporary failures are retried with exponential backoff and jitter (421 lowers the concurrency); a 5xx for one recipient bounces only that recipient with an RFC 3464 report from the null sender; AUTH failures (530/535/538) pause the queue instead of bouncing. Messages older than --max-queue-lifetime are bounced.',
    'Refused for every client: bare CR or LF in DATA (SMTP smuggling), oversized messages, lines and headers, too many recipients or sessions. Adds a Received header naming the client address, its EHLO name and the queue id. Logs one line per session and per delivery attempt (--log-format json for log shippers).',
    'SIGTERM/SIGINT stop it gracefully: no new sessions, open sessions and in-flight deliveries finish, the queue stays on disk and is resumed at the next start. Use `omr queue` to inspect and manage the spool.',
    'Operations: every LAN client is counted (omr relay clients, omr relay trace) and held to --client-rate and --client-recipient-rate (451/452, never 5xx); --quota-hour/--quota-month keep sending under the OMR quota; a message resent within --dedupe-window is acknowledged but not delivered again; --metrics serves /healthz and Prometheus /metrics on loopback; SIGHUP reloads the allowlist, limits and quotas without dropping sessions.',
    'With --demo the built-in OMR simulator is started on loopback as the smarthost, the relay listens on 127.0.0.1:2525 (or a free port) with its spool in ./.omr-demo/spool, and a ready-to-paste test command is printed.',
  ].join('\n\n'),
  options: [
    ...relayOptions(),
    { flags: '--demo', description: 'start the built-in OMR simulator on loopback and relay to it (try-it-out mode)' },
  ],
  examples: [
    { command: 'omr relay start --demo', description: 'see mail flow locally in one command (also: npm start)' },
    { command: 'OMR_PASSWORD=... omr relay start --listen 192.168.1.2:25 --user office@example.com --spool /var/spool/omr', description: 'relay the LAN on 192.168.1.2:25 to omr.tzo.com:587' },
    { command: 'omr relay start --config /etc/omr/relay.yaml --log-format json', description: 'run from a config file with JSON log lines' },
    { command: 'omr relay start --config /etc/omr/relay.yaml --quota-hour 450 --client-rate 30/min,300/hour --metrics 127.0.0.1:9325', description: 'stay under an OMR quota of 500 an hour, tighter client limits, Prometheus metrics' },
    { command: 'kill -HUP $(cat /var/spool/omr/relay.pid)', description: 'reload the allowlist, client limits and quotas from the config file (systemctl reload omr-relay)' },
  ],
  load: () => import('./run.js'),
};

export const relaySpec: CommandSpec = {
  name: 'relay',
  summary: 'the durable LAN relay to the smarthost',
  manPage: 'omr-relay',
  manSections: RELAY_OPS_MAN,
  subcommands: [relayStartSpec, ...relayOpsSubcommands],
};
