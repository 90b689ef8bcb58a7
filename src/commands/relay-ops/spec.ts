// `omr relay status|clients|trace|install-service`: the operations subcommands of `omr relay`.
// The relay's own spec lists these next to `start`.
import type { CommandSpec } from '../../cli/spec.js';
import { relayOptions } from '../../config/options.js';
import { parseDuration } from '../../core/parse.js';

export const relayStatusSpec: CommandSpec = {
  name: 'status',
  summary: 'queue counts, oldest message, upstream state, concurrency and quota usage',
  description:
    'Asks the running relay through its control socket (spool/control.sock, mode 0600); when no relay runs on the spool, reads the spool directories and the saved quota meter instead, so it also works after a crash.\n\n' +
    'Upstream state is ok, backing-off (a 421 from the smarthost: fewer connections and a pause with jitter) or paused (the smarthost refused the account, or a quota is used up; no mail is bounced while paused), with the reason and the time sending resumes. Exit 1 when the smarthost refused the account (queue paused, nothing bounced); a quota hold is a warning.',
  options: relayOptions(['spool', 'quota-hour', 'quota-month']),
  examples: [
    { command: 'omr relay status', description: 'how the queue and the upstream look right now' },
    { command: 'omr relay status --json | jq .data.queue', description: 'queue counts by state for a monitoring script' },
  ],
  load: () => import('./status.js'),
};

export const relayClientsSpec: CommandSpec = {
  name: 'clients',
  summary: 'per-LAN-client counters for the last hour and day, busiest first',
  description:
    'Sessions, messages, recipients, distinct recipient domains, distinct senders, bytes and refusals per LAN client address over the last hour and the last day. The PC at the top of this list is the one to check when the smarthost complains about spam. Counters survive relay restarts (spool/ops/clients.json).',
  options: [...relayOptions(['spool']), { flags: '--limit <n>', description: 'show at most N clients (human output)', default: 20, parse: (t: string) => { const n = Number(t); if (!Number.isInteger(n) || n < 1) throw new Error(`"${t}" is not a positive whole number`); return n; } }],
  examples: [
    { command: 'omr relay clients', description: 'who sent the most mail in the last hour' },
    { command: 'omr relay clients --json | jq ".data.clients[0]"', description: 'the top talker as JSON' },
  ],
  load: () => import('./clients.js'),
};

export const relayTraceSpec: CommandSpec = {
  name: 'trace',
  summary: 'every message one LAN client sent: queue id, time, sender, recipients, subject, upstream reply',
  description:
    'Reads the per-day event log in spool/ops/events/ (kept 8 days): every message the client handed over (queued or acknowledged as a duplicate), every refusal (rate limit, size, smuggling) and each delivery attempt\'s smarthost reply.',
  args: [{ name: 'ip', description: 'the LAN client address, e.g. 192.168.1.37', required: true }],
  options: [...relayOptions(['spool']), { flags: '--since <duration>', description: 'how far back to look (e.g. 30m, 6h, 2d)', default: 86_400_000, defaultText: '24h', parse: parseDuration }],
  examples: [
    { command: 'omr relay trace 192.168.1.37 --since 2h', description: 'what the suspicious PC sent in the last two hours' },
  ],
  load: () => import('./trace.js'),
};

export const relayInstallServiceSpec: CommandSpec = {
  name: 'install-service',
  summary: 'write a hardened systemd unit for the relay (--dry-run prints it)',
  description:
    'Writes /etc/systemd/system/NAME.service (or the same path under --out DIR) running `omr relay start` as a dedicated system user with ProtectSystem=strict (only the spool writable), NoNewPrivileges, PrivateTmp and CAP_NET_BIND_SERVICE as the only capability (port 25 without root). The password file is handed over as a systemd credential. Nothing is run: the follow-up steps (create the user and spool, daemon-reload, enable) are printed.\n\n' +
    'On Windows, run the relay under a service wrapper such as WinSW or NSSM: see the README section "Running as a service".',
  options: [
    ...relayOptions(['spool', 'password-file']),
    { flags: '--dry-run', description: 'print the unit and the steps; write nothing' },
    { flags: '--out <dir>', description: 'write under DIR (DIR/etc/systemd/system/...) instead of the system' },
    { flags: '--service-user <name>', description: 'system user the relay runs as', default: 'omr' },
    { flags: '--name <unit>', description: 'unit name', default: 'omr-relay' },
  ],
  examples: [
    { command: 'omr relay install-service --dry-run --config /etc/omr/relay.yaml', description: 'review the unit first' },
    { command: 'sudo omr relay install-service --config /etc/omr/relay.yaml --password-file /etc/omr/password', description: 'install it, then follow the printed steps' },
  ],
  load: () => import('./install-service.js'),
};

export const relayOpsSubcommands: CommandSpec[] = [relayStatusSpec, relayClientsSpec, relayTraceSpec, relayInstallServiceSpec];
