// `omr test [HOST]`: option table (drives commander, --help and the man page). Import-light.
import type { CommandSpec } from '../../cli/spec.js';
import { parseDuration, parsePortList, parsePositiveInt } from '../../core/parse.js';

const STOP = ['connect', 'banner', 'ehlo', 'tls', 'auth', 'mail', 'rcpt', 'data'] as const;

export interface PortChoice {
  port: number;
  /** Per-port TLS mode ("465/implicit", "2525/starttls"); overrides --tls for that port. */
  tls?: 'starttls' | 'implicit' | 'none';
}

/** "587,25,4650/implicit" -> ports with optional per-port TLS mode. */
export function parsePortChoices(text: string): PortChoice[] {
  const out: PortChoice[] = [];
  for (const item of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [num = '', mode] = item.split('/');
    const [port] = parsePortList(num);
    if (mode !== undefined && mode !== 'starttls' && mode !== 'implicit' && mode !== 'none') throw new Error(`"${item}": the TLS mode after / must be starttls, implicit or none`);
    if (!out.some((c) => c.port === port)) out.push({ port: port!, ...(mode ? { tls: mode } : {}) });
  }
  if (out.length === 0) throw new Error('expected a comma-separated list of ports');
  return out;
}

function parseMech(text: string): 'PLAIN' | 'LOGIN' {
  const m = text.trim().toUpperCase();
  if (m !== 'PLAIN' && m !== 'LOGIN') throw new Error(`"${text}" is not PLAIN or LOGIN`);
  return m;
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new Error('the timeout must be more than 0');
  return ms;
}

function parseRegex(text: string): RegExp {
  try {
    return new RegExp(text, 'i');
  } catch (e) {
    throw new Error(`not a regular expression: ${(e as Error).message}`);
  }
}

export const testSpec: CommandSpec = {
  name: 'test',
  summary: 'test connectivity, TLS, login and timing to the smarthost, port by port, and say what to do',
  manPage: 'omr-test',
  description: [
    'Probes every port concurrently, phase by phase, timing each: DNS, TCP connect (connected, refused, filtered or unreachable), the greeting banner, EHLO capabilities, STARTTLS or implicit TLS (protocol, cipher, certificate chain, name match, days to expiry), EHLO again inside TLS, AUTH (PLAIN or LOGIN, only inside TLS), MAIL FROM and RCPT TO (with --from and --to), and DATA with a small test message (with --send).',
    'Then it diagnoses: port 25 blocked by the ISP, a port that accepts but never greets, a proxy or antivirus answering for the server, STARTTLS stripped, AUTH offered only without encryption (the password is then not sent), 421 connection limits and quotas with the server\'s text, slow greetings and slow end-of-data acknowledgements, certificates about to expire. Each diagnosis is a check `diagnosis:<name>` with a hint, and the human report ends with a short list of what to do.',
    'The password comes from OMR_PASSWORD, --password-file FILE (first line; the file must not be readable by group or others) or a prompt on a terminal; it never appears in output or transcripts. Verdict: pass when every port completes every phase asked for, warn (exit 0) when at least one does, fail (exit 1) when none does.',
  ].join('\n\n'),
  args: [{ name: 'host', description: 'smarthost to test, HOST or HOST:PORT (default: omr.tzo.com)' }],
  options: [
    { flags: '--port <list>', description: 'comma-separated ports to probe; 465 means implicit TLS; PORT/implicit, PORT/starttls or PORT/none sets one port\'s TLS mode', default: [{ port: 587 }, { port: 25 }, { port: 2525 }, { port: 465 }], defaultText: '587,25,2525,465', parse: parsePortChoices },
    { flags: '--timeout <seconds>', description: 'timeout for each phase (a number of seconds, or e.g. 500ms, 1m)', default: 15_000, defaultText: '15', parse: parseTimeout },
    { flags: '--user <user>', description: 'account name for AUTH (PLAIN or LOGIN, only over TLS)' },
    { flags: '--auth-mech <mech>', description: 'use this AUTH mechanism, PLAIN or LOGIN (what your mail program uses; Outlook uses LOGIN)', parse: parseMech, defaultText: 'PLAIN if offered, else LOGIN' },
    { flags: '--password-file <file>', description: 'read the password from the first line of FILE (mode 0600); else OMR_PASSWORD or a prompt' },
    { flags: '--from <addr>', description: 'envelope sender for MAIL FROM (with --to)' },
    { flags: '--to <addr>', description: 'recipient for RCPT TO (with --from)' },
    { flags: '--send', description: 'also send a small test message (DATA) and time the end-of-data acknowledgement' },
    { flags: '--stop-after <phase>', description: 'stop after this phase', choices: STOP, defaultText: 'the last phase the other options ask for' },
    { flags: '--tls <mode>', description: 'auto: implicit TLS on 465, STARTTLS elsewhere; none never authenticates', choices: ['auto', 'starttls', 'implicit', 'none'], default: 'auto' },
    { flags: '--ca <file>', description: 'also trust this CA certificate (PEM), e.g. the one omr simulate writes' },
    { flags: '--expect-banner <regex>', description: 'warn (possible proxy) when the greeting does not match this case-insensitive regex', parse: parseRegex },
    { flags: '--connections <n>', description: 'afterwards open N sessions at once and report how many the server accepted before 421', parse: (v) => parsePositiveInt(v, 1) },
    { flags: '--transcript', description: 'print the SMTP conversation (-> sent, <- received) on stderr; AUTH redacted' },
    { flags: '--ehlo <name>', description: 'name to send in EHLO (default: this host\'s FQDN or its address literal)', hidden: true },
  ],
  examples: [
    { command: 'omr test', description: 'test omr.tzo.com on ports 587, 25, 2525 and 465' },
    { command: 'OMR_PASSWORD=... omr test --user office@example.com --from office@example.com --to me@example.com --send', description: 'log in and send a test message on every port' },
    { command: 'omr test 127.0.0.1 --port 2525 --ca sim-ca.pem --user office --password-file pw.txt --connections 6', description: 'rehearse against omr simulate and measure its connection limit' },
    { command: 'omr test --port 587 --stop-after tls --transcript', description: 'show the conversation up to the TLS handshake' },
    { command: 'omr test --json | jq -r \'.checks[] | select(.hint) | .hint\'', description: 'the advice only, for scripts' },
  ],
  manSections: {
    'CHECK IDS':
      'dns, tcp:PORT, banner:PORT, ehlo:PORT, starttls:PORT, tls:PORT, auth:PORT, mail:PORT, rcpt:PORT, data:PORT, connections, and diagnosis:port25-blocked, diagnosis:no-connection, diagnosis:no-greeting, diagnosis:smtp-proxy, diagnosis:starttls-stripped, diagnosis:plaintext-auth-only, diagnosis:connection-limit, diagnosis:quota, diagnosis:slow-greeting, diagnosis:slow-data-ack, diagnosis:cert-expiring. Diagnosis checks appear only when they apply. Phases a port did not reach are listed with status skip.',
    VERDICT: '0 when every port passed, or at least one port completed every phase (warn); 1 when no port did; 2 for usage errors (bad flag value, missing password).',
  },
  load: () => import('./run.js'),
};
