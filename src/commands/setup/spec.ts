import type { CommandSpec } from '../../cli/spec.js';
import { SERVER_LIST } from '../config-generate/spec.js';

export const setupSpec: CommandSpec = {
  name: 'setup',
  summary: 'interactive wizard: SmartHost configuration for your mail server, written safely',
  manPage: 'omr-setup',
  description: [
    `Asks only what it needs (server, OMR account, password, LAN network, listen address, host name), proposing defaults read from this machine: the installed MTA, the LAN subnet and address, the host name. Every answer is checked as it is typed. Servers: ${SERVER_LIST}.`,
    'It then shows the plan (files, modes, steps), writes only after you confirm (every file goes to a temporary name first and all are renamed at the end, so Ctrl-C at any point leaves nothing half-written), runs the follow-up steps on the real system, offers to run omr test and omr check-exposure, and prints what to enter in Outlook or Thunderbird on the office PCs.',
    'With --answers FILE (YAML or JSON with the keys server, user, password-file, smarthost, tls, ca, lan, listen, hostname, run-test, check-exposure) it replays a run without any prompt. The password comes from OMR_PASSWORD, password-file, or the prompt; it is never stored in the answers file.',
  ].join('\n\n'),
  options: [
    { flags: '--answers <file>', description: 'replay answers from a YAML/JSON file; no prompts' },
    { flags: '--out <dir>', description: 'write under DIR as a mirror of the system paths instead of the system; nothing is run' },
    { flags: '--dry-run', description: 'show the plan and the diff, write nothing' },
    { flags: '--password-file <file>', description: 'file whose first line is the OMR password (or set OMR_PASSWORD)' },
    { flags: '--ca <file>', description: 'trust this CA for the smarthost (rehearsals against omr simulate)' },
  ],
  examples: [
    { command: 'sudo omr setup', description: 'configure the mail server of this gateway step by step' },
    { command: 'omr setup --out ./preview', description: 'answer the questions, write the files under ./preview only' },
    { command: 'OMR_PASSWORD=... omr setup --answers office.yaml --json', description: 'replay a saved run in a script' },
  ],
  manSections: {
    Servers: [
      'omr-relay (this toolkit\'s relay: /etc/omr/relay.yaml and a 0600 password file); postfix (main.cf managed block, sasl_passwd keyed [host]:port, TLS level secure, connection cache off); exim4 (Debian update-exim4.conf.conf, TLS macros, passwd.client with a * line because Exim matches the reverse-DNS name); sendmail (sendmail.mc lines, authinfo with base64 fields, access map, makemap); opensmtpd (smtp+tls:// relay with an auth label); msmtp, nullmailer, dma (send-only; dma pins the certificate with --fingerprint).',
      'hmailserver (PowerShell COM script: SMTPRelayer*, the relayer password, LAN IP ranges); exchange (New-SendConnector script that asks with Get-Credential); iis-smtp, mdaemon, argosoft (exact steps).',
    ].join('\n\n'),
    Session: [
      '# omr setup',
      '? Which mail server should send through the smarthost? Postfix (installed here)',
      '? OMR account (SMTP user name): office@example.net',
      '? OMR password (not shown): **********',
      '? Smarthost (host[:port]): omr.tzo.com:587',
      '? Office network allowed to send through this server (CIDR): 192.168.5.0/24',
      "? This server's LAN address (ADDR or ADDR:PORT) to listen on: 192.168.5.2",
      'Plan for postfix: relay through omr.tzo.com:587 (starttls) as office@example.net; update 0644 /etc/postfix/main.cf; create 0600 /etc/postfix/sasl_passwd [secret]',
      '? Write these files now? Yes',
      '? Run omr test omr.tzo.com --port 587 --user office@example.net --tls starttls now? Yes',
      'Office PCs: Outlook and Thunderbird use 192.168.5.2 port 25 as outgoing server, without authentication or encryption (LAN only).',
    ].join('\n\n'),
  },
  load: () => import('./run.js'),
};
