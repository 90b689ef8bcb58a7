// `omr simulate`: option table only (import-light); the implementation loads lazily.
import type { CommandSpec, OptionSpec } from '../../cli/spec.js';
import { parseDuration, parseHostPort, parsePositiveInt, parseProbability, parseSize } from '../../core/parse.js';

const STAGES = ['greeting', 'auth', 'mail', 'rcpt', 'data'];

/** STAGE:MS[:COUNT], e.g. data:30000 (every DATA reply 30 s late) or greeting:5000:1. */
export function parseDelay(text: string): { stage: string; ms: number; count: number } {
  const [stage, ms, count] = text.split(':');
  if (!stage || !STAGES.includes(stage)) throw new Error(`"${text}": stage must be one of ${STAGES.join(', ')} (STAGE:MS[:COUNT])`);
  if (ms === undefined) throw new Error(`"${text}": expected STAGE:MS[:COUNT], e.g. data:30000`);
  return { stage, ms: parseDuration(/^\d+$/.test(ms) ? `${ms}ms` : ms), count: count === undefined ? Infinity : parsePositiveInt(count) };
}

const hostPort = (v: string) => parseHostPort(v, 2525);
const count = (v: string) => parsePositiveInt(v);

const options: OptionSpec[] = [
  { flags: '--listen <addr:port>', description: 'address for SMTP with STARTTLS (port 0 picks a free port)', default: { host: '127.0.0.1', port: 2525 }, defaultText: '127.0.0.1:2525', parse: hostPort },
  { flags: '--tls-listen <addr:port>', description: 'also listen for implicit TLS (like port 465)', parse: (v) => parseHostPort(v, 465) },
  { flags: '--hostname <name>', description: 'name in the greeting and EHLO, added to the certificate', default: 'omr.simulator.test' },
  { flags: '--banner <text>', description: 'text after "HOSTNAME ESMTP" in the greeting', default: 'omr simulate (OMR stand-in)' },
  { flags: '--ca-out <file>', description: 'write the CA certificate that signed the server certificate here (for --ca / --tls-ca-path / --cacert)' },
  { flags: '--tls-cert <file>', description: 'use this PEM certificate (chain) instead of a generated one' },
  { flags: '--tls-key <file>', description: 'private key for --tls-cert' },
  { flags: '--cert-key-type <type>', description: 'key type of the generated certificates (rsa for old clients without ECDSA)', default: 'ec', choices: ['ec', 'rsa'] },
  { flags: '--cert-days <days>', description: 'lifetime of the generated server certificate (e.g. 5 to rehearse an expiring one, 0 for an expired one)', default: 365, parse: (v) => parsePositiveInt(v, 0) },
  { flags: '--user <user>', description: 'the account clients must AUTH as (password from OMR_PASSWORD, --password-file or a prompt)' },
  { flags: '--password-file <file>', description: 'password for --user on its first line (mode 0600)' },
  { flags: '--accounts <file>', description: 'several accounts, one USER:PASSWORD per line (mode 0600)' },
  { flags: '--max-connections <n>', description: 'simultaneous authenticated sessions per account; the next gets 421 4.7.0 at AUTH', default: 5, parse: count },
  { flags: '--max-total-connections <n>', description: 'simultaneous connections in total; the next gets 421 4.7.0 instead of the greeting', defaultText: 'unlimited', parse: count },
  { flags: '--quota-hour <n>', description: 'messages per account in any 60 minutes; beyond, MAIL gets 421 4.7.0', parse: (v) => parsePositiveInt(v, 0) },
  { flags: '--quota-month <n>', description: 'messages per account per calendar month (UTC); beyond, MAIL gets 421 4.7.0', parse: (v) => parsePositiveInt(v, 0) },
  { flags: '--max-message-size <size>', description: 'advertised in EHLO SIZE; larger messages get 552 (0 = no limit)', default: 20 * 1024 * 1024, defaultText: '20MiB', parse: parseSize },
  { flags: '--defer-rate <p>', description: 'probability (0-1) of a random 421 4.3.2 "try again later" (simulated peak load)', parse: parseProbability },
  { flags: '--defer-at <stage>', description: 'where --defer-rate strikes: each new connection or each MAIL', default: 'connect', choices: ['connect', 'mail'] },
  { flags: '--seed <n>', description: 'seed for --defer-rate, for reproducible runs', parse: (v) => parsePositiveInt(v, 0) },
  { flags: '--reject <pattern>', description: 'recipients matching this regular expression (case-insensitive) get 550 5.1.1' },
  { flags: '--require-tls', description: 'refuse AUTH before STARTTLS with 538 (the default)' },
  { flags: '--no-require-tls', description: 'allow AUTH on a plaintext connection (to rehearse a plaintext smarthost)' },
  { flags: '--no-starttls', description: 'do not offer STARTTLS on the --listen port' },
  { flags: '--auth-optional', description: 'accept MAIL without AUTH (for relays using --tls none, which never send AUTH)' },
  { flags: '--fail-auth', description: 'fault: refuse every AUTH with 535, even with the right password' },
  { flags: '--greeting-421 <n>', description: 'fault: answer the next N connections with 421 instead of the greeting', parse: count },
  { flags: '--mail-421 <n>', description: 'fault: answer the next N MAIL commands with 421', parse: count },
  { flags: '--rcpt-4xx <n>', description: 'fault: answer the next N RCPT commands with 451', parse: count },
  { flags: '--data-421 <n>', description: 'fault: answer the next N messages with 421 after DATA', parse: count },
  { flags: '--data-5xx <n>', description: 'fault: refuse the next N messages with 554 after DATA', parse: count },
  { flags: '--strip-starttls <n>', description: 'fault: hide STARTTLS from the next N connections, as a middlebox that strips it would (AUTH then gets 538)', parse: count },
  { flags: '--drop-mid-data <n>', description: 'fault: drop the connection in the middle of the next N messages', parse: count },
  { flags: '--delay-reply <stage:ms>', description: 'fault: delay replies at a stage (greeting, auth, mail, rcpt, data), e.g. data:30000; add :COUNT to limit it', repeatable: true, parse: parseDelay },
  { flags: '--store <dir>', description: 'write each accepted message there: ID.eml (exact bytes) and ID.json (envelope, TLS, auth)' },
  { flags: '--status <addr:port>', description: 'loopback HTTP endpoint: GET /status, GET /messages, POST /faults, POST /reset', parse: (v) => parseHostPort(v) },
  { flags: '--exit-after <duration>', description: 'stop by itself after this long (e.g. 30s, 10m)', parse: parseDuration },
];

export const simulateSpec: CommandSpec = {
  name: 'simulate',
  summary: 'run a local stand-in for the OMR smarthost (AUTH, STARTTLS, limits, quotas, faults)',
  description: [
    'Runs an SMTP server on loopback that behaves like TZO OMR: AUTH PLAIN/LOGIN is required before MAIL (530), only after STARTTLS (538), with a certificate signed by a CA generated at start (written with --ca-out) whose SANs are localhost, 127.0.0.1, ::1 and --hostname.',
    'Connection limit: OMR allows 5 connections per account. The account is known only after AUTH, so the simulator counts authenticated sessions per account; the session that would exceed --max-connections gets "421 4.7.0" at AUTH and is closed. --max-total-connections caps all connections at connect, before the greeting.',
    'Quotas count accepted messages per account: --quota-hour over a sliding 60-minute window, --quota-month per calendar month (UTC). Over quota, MAIL gets "421 4.7.0 ... quota exceeded" and the connection closes. A transaction reserves its quota at MAIL, so concurrent sessions cannot overshoot.',
    'One line per session event goes to stderr (colour on a TTY); with --json the events are JSON lines on stderr and the final counters are the one JSON envelope on stdout. It runs until SIGINT/SIGTERM (or --exit-after); SIGUSR1 prints the counters while running.',
  ].join('\n\n'),
  options,
  examples: [
    { command: 'OMR_PASSWORD=secret omr simulate --user office@example.com --ca-out /tmp/omr-ca.pem', description: 'a simulator on 127.0.0.1:2525 whose CA clients can verify' },
    {
      command: 'swaks --server 127.0.0.1:2525 --tls --tls-verify --tls-ca-path /tmp/omr-ca.pem --auth PLAIN --auth-user office@example.com --auth-password secret --to you@example.com',
      description: 'send a test message through it with swaks',
    },
    { command: 'omr simulate --accounts accounts.txt --quota-hour 100 --defer-rate 0.1 --seed 1 --store /tmp/sim', description: 'several accounts, a quota, some deferrals, keep what arrives' },
    { command: 'omr simulate --user u --password-file pw --delay-reply data:120000 --drop-mid-data 1 --json', description: 'rehearse timeouts and a dropped connection; JSON events on stderr' },
  ],
  manPage: 'omr-simulate',
  manSections: {
    'STATUS ENDPOINT': 'With --status 127.0.0.1:8025: GET /status returns the counters as JSON; GET /messages the accepted messages (without bytes); POST /faults injects a fault given as JSON, e.g. {"kind":"greeting421","count":2} or {"kind":"delayReply","stage":"data","ms":30000}; DELETE /faults clears them; POST /reset zeroes counters. The endpoint only listens on loopback.',
    FILES: 'With --store DIR, each accepted message is DIR/ID.eml (the exact bytes received after dot-unstuffing) and DIR/ID.json (envelope, account, TLS protocol and cipher, size, time).',
  },
  load: () => import('./run.js'),
};
