// `omr queue`: mailq/postqueue/postsuper for the relay's spool. Works whether or not the relay
// runs; a running relay is told about changes through its control directory.
import type { CommandSpec, OptionSpec } from '../../cli/spec.js';
import { optionForKey } from '../../config/options.js';
import { relayKey } from '../../config/relay-keys.js';

const common: OptionSpec[] = [
  { flags: '--config <file>', description: 'relay config file; its spool setting picks the instance', env: 'OMR_CONFIG' },
  { ...optionForKey(relayKey('spool')), description: 'spool directory of the relay instance' },
];

const load = () => import('./run.js');

export const queueSpec: CommandSpec = {
  name: 'queue',
  summary: 'list, inspect, retry, hold, release or delete queued mail (like mailq/postsuper)',
  manPage: 'omr-queue',
  subcommands: [
    {
      name: 'list', summary: 'list queued messages: id, state, age, sender, recipients, size, attempts, next attempt, last reply',
      description: 'States: incoming (new, not tried yet), active (being delivered), deferred (waiting for a retry), hold (kept back by an operator). With --json: data.messages as in the command-line contract.',
      options: common, load,
      examples: [{ command: 'omr queue list --spool /var/spool/omr', description: 'what is waiting and why' }, { command: 'omr queue list --json | jq ".data.messages[].lastReply"', description: 'the last upstream replies' }],
    },
    {
      name: 'show', summary: 'show one message: envelope, per-recipient status and replies, headers',
      args: [{ name: 'id', description: 'queue id', required: true }], options: common, load,
    },
    {
      name: 'flush', summary: 'retry deferred messages now (all, or the given ids); a running relay also leaves any pause or backoff',
      args: [{ name: 'id', description: 'queue ids (default: all deferred)', variadic: true }], options: common, load,
      examples: [{ command: 'omr queue flush', description: 'after fixing the smarthost password: resume and retry everything now' }],
    },
    {
      name: 'delete', summary: 'delete messages for good (no bounce)',
      args: [{ name: 'id', description: 'queue ids', variadic: true }],
      options: [...common, { flags: '--all', description: 'delete every queued message' }], load,
    },
    {
      name: 'hold', summary: 'keep messages back (not delivered until released), by id or by LAN client',
      args: [{ name: 'id', description: 'queue ids', variadic: true }],
      options: [...common, { flags: '--client <ip>', description: 'hold everything this LAN client queued (quarantine an infected PC)' }], load,
      examples: [{ command: 'omr queue hold --client 192.168.1.57', description: 'quarantine what one PC sent' }],
    },
    {
      name: 'release', summary: 'release held messages for delivery, by id or by LAN client',
      args: [{ name: 'id', description: 'queue ids', variadic: true }],
      options: [...common, { flags: '--client <ip>', description: 'release everything held from this LAN client' }], load,
    },
  ],
};
