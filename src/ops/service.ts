// `omr relay install-service`: a hardened systemd unit for the relay. Pure: options in, file text
// and follow-up steps out; the command decides where (and whether) to write.
import { isAbsolute } from 'node:path';

export interface ServiceOptions {
  /** Unit name without .service. */
  name: string;
  /** Dedicated system user (and group) the relay runs as. */
  user: string;
  /** Absolute path of node. */
  node: string;
  /** Absolute path of bin/omr.js. */
  script: string;
  /** Relay config file passed with --config (optional). */
  config?: string;
  spool: string;
  /** Smarthost password file, handed over with systemd's LoadCredential (read as root, given to the service only). */
  passwordFile?: string;
  /** Extra `omr relay start` arguments. */
  extraArgs?: string[];
}

export const UNIT_DIR = '/etc/systemd/system';

/** Quotes one ExecStart word the way systemd parses it; % and $ are escaped. */
export function systemdQuote(word: string): string {
  const esc = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./$-]+$/.test(esc) ? esc : `"${esc.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function validateServiceOptions(o: ServiceOptions): string[] {
  const problems: string[] = [];
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(o.user)) problems.push(`--user ${o.user}: not a valid system user name`);
  if (!/^[A-Za-z0-9:_.\\-]+$/.test(o.name)) problems.push(`--name ${o.name}: not a valid unit name`);
  for (const [flag, p] of [['--spool', o.spool], ['--config', o.config], ['--password-file', o.passwordFile], ['node', o.node], ['script', o.script]] as const) {
    if (p !== undefined && !isAbsolute(p)) problems.push(`${flag} ${p}: the unit needs an absolute path`);
    if (p !== undefined && /[\n\r]/.test(p)) problems.push(`${flag}: a path with a line break cannot go into a unit file`);
  }
  return problems;
}

export function systemdUnit(o: ServiceOptions): string {
  const args = [o.node, o.script, 'relay', 'start', '--spool', o.spool];
  if (o.config) args.push('--config', o.config);
  if (o.passwordFile) args.push('--password-file', '${CREDENTIALS_DIRECTORY}/omr-password');
  args.push(...(o.extraArgs ?? []));
  const exec = args.map((a) => (a.startsWith('${CREDENTIALS_DIRECTORY}') ? a : systemdQuote(a))).join(' ');
  const lines = [
    '# Written by `omr relay install-service`. Review, then: systemctl daemon-reload && systemctl enable --now ' + o.name,
    '[Unit]',
    'Description=omr LAN mail relay to the OMR smarthost',
    'Documentation=man:omr-relay(1)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${o.user}`,
    `Group=${o.user}`,
    `ExecStart=${exec}`,
    '# SIGHUP reloads the allowlist, client limits and quotas without dropping sessions.',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60s',
    'Restart=on-failure',
    'RestartSec=5s',
    ...(o.passwordFile ? [`LoadCredential=omr-password:${o.passwordFile}`] : []),
    '# Port 25 without root: this one capability and no other.',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    'NoNewPrivileges=yes',
    '# Read-only system except the spool.',
    'ProtectSystem=strict',
    `ReadWritePaths=${systemdQuote(o.spool)}`,
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectProc=invisible',
    'ProcSubset=pid',
    'PrivateMounts=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=~@privileged @resources',
    'SystemCallErrorNumber=EPERM',
    '# Node\'s JIT needs writable+executable memory, so MemoryDenyWriteExecute stays off.',
    'UMask=0077',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/** What an administrator runs after the unit is written (printed, not run). */
export function installSteps(o: ServiceOptions, unitPath: string): string[] {
  return [
    `getent passwd ${o.user} >/dev/null || useradd --system --user-group --home-dir ${o.spool} --no-create-home --shell /usr/sbin/nologin ${o.user}`,
    `install -d -m 0700 -o ${o.user} -g ${o.user} ${o.spool}`,
    ...(o.passwordFile ? [`chmod 0600 ${o.passwordFile}  # root-owned; systemd hands it to the service as a credential`] : []),
    `systemd-analyze verify --man=no ${unitPath}`,
    'systemctl daemon-reload',
    `systemctl enable --now ${o.name}`,
    `journalctl -u ${o.name} -f  # follow the relay log`,
  ];
}
