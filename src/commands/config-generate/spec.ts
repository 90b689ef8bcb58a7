import type { CommandSpec, OptionSpec } from '../../cli/spec.js';

export const SERVER_LIST = 'omr-relay, postfix, exim4, sendmail, opensmtpd, msmtp, nullmailer, dma, hmailserver, exchange, iis-smtp, mdaemon, argosoft';

/** Options shared by `config generate` and `setup`. */
export const generateOptions: OptionSpec[] = [
  { flags: '--user <user>', description: 'OMR account name (SMTP AUTH user)' },
  { flags: '--password-file <file>', description: 'file whose first line is the OMR password (mode 0600); or set OMR_PASSWORD' },
  { flags: '--smarthost <host[:port]>', description: 'smarthost to relay through', defaultText: 'omr.tzo.com:587 (465 with --tls implicit)' },
  { flags: '--lan <cidr>', description: 'office network allowed to relay (repeatable; private ranges only)', repeatable: true },
  { flags: '--listen <addr[:port]>', description: 'LAN address the server listens on (repeatable; loopback is always added; never 0.0.0.0)', repeatable: true },
  { flags: '--hostname <fqdn>', description: "this gateway's host name (HELO, myhostname)", defaultText: 'this host name' },
  { flags: '--tls <mode>', description: 'TLS to the smarthost; the certificate is always verified', choices: ['starttls', 'implicit'], defaultText: 'starttls (implicit on port 465)' },
  { flags: '--ca <file>', description: 'trust this CA (PEM) for the smarthost instead of the system store, e.g. the one omr simulate writes' },
  { flags: '--max-connections <n>', description: 'upstream connections at most (OMR allows 5; one is left for omr test)', default: 4 },
  { flags: '--fingerprint <sha256>', description: 'dma only: pin the smarthost certificate (dma cannot check a CA)' },
  { flags: '--exim-split', description: 'exim4 only: Debian split configuration (conf.d)' },
  { flags: '--out <dir>', description: 'write the files under DIR as a mirror of their system paths (DIR/etc/postfix/main.cf); nothing is run' },
  { flags: '--dry-run', description: 'print the diff against the current files and write nothing' },
];

export const configGenerateSpec: CommandSpec = {
  name: 'generate',
  summary: 'write SmartHost configuration for a mail server (postfix, exim4, ..., exchange)',
  description: [
    `SERVER is one of: ${SERVER_LIST}; or "auto" to use the MTA installed here (postconf, exim -bV, smtpd, ...).`,
    'Every configuration uses STARTTLS on 587 (implicit TLS on 465 where the server supports it) with certificate verification, listens on loopback and the LAN address only, relays only for loopback and --lan networks, and writes credential files readable by root (or the MTA group) only, with the password escaped for that format.',
    'Without --out the files go to their system paths: each changed file is backed up next to itself (NAME.omr-backup-TIMESTAMP), shared files such as main.cf get a managed block between markers so a second run replaces it and leaves the rest alone, then the follow-up steps (postmap, update-exim4.conf, reload) and the server\'s own check (postfix check, exim4 -bV, smtpd -n) are run. With --out DIR nothing is run and the steps are printed. --dry-run shows the diff (secret files only as "changed") and writes nothing.',
    'Windows servers (hmailserver, exchange, iis-smtp, mdaemon, argosoft) get a PowerShell script or exact steps, written to --out DIR or the current directory. The Exchange script asks for the password with Get-Credential and never stores it.',
  ].join('\n\n'),
  args: [{ name: 'server', description: `mail server: ${SERVER_LIST}, or auto`, required: true }],
  options: generateOptions,
  examples: [
    { command: 'OMR_PASSWORD=... omr config generate postfix --user office@example.com --lan 192.168.1.0/24 --listen 192.168.1.10 --out ./gen', description: 'write main.cf and sasl_passwd under ./gen/etc/postfix' },
    { command: 'omr config generate exim4 --user office@example.com --password-file /root/omr.pw --lan 192.168.1.0/24 --dry-run', description: 'show what would change in /etc/exim4' },
    { command: 'omr config generate exchange --user office@example.com --out .', description: 'a New-SendConnector script that asks for the password' },
  ],
  load: () => import('./run.js'),
};
