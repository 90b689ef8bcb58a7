// MDaemon and ArGoSoft Mail Server: configured in their GUIs, so the output is exact steps.
import { UsageError } from '../../core/errors.js';
import { reminder } from '../common.js';
import type { Answers, Generated, Step } from '../types.js';

function stepsFile(name: string, lines: string[]): Generated['files'][number] {
  return { path: `omr-smarthost-${name}.txt`, content: [...lines, ''].join('\r\n'), mode: 0o644, secret: false, merge: { kind: 'whole' } };
}

function caStep(a: Answers): Step[] {
  return a.ca ? [{ text: `Trust the smarthost CA in Windows: Import-Certificate -FilePath ${a.ca} -CertStoreLocation Cert:\\LocalMachine\\Root` }] : [];
}

export function mdaemon(a: Answers): Generated {
  const lines = [
    'MDaemon: Setup > Server Settings:',
    `1. Delivery: choose "Send all outbound email to the server specified below"; Mail host or IP: ${a.smarthost.host}.`,
    `2. Delivery: tick "Use SMTP authentication"; User name ${a.user}; Password: the OMR password.`,
    `3. Ports: Outbound SMTP port ${a.smarthost.port}.`,
    `4. Security > SSL & TLS > MDaemon: tick "Enable SSL, STARTTLS, and STLS"; SSL & TLS > STARTTLS Required List: add ${a.smarthost.host}.`,
    `5. Binding: bind to ${a.listen.find((e) => !e.host.startsWith('127.'))?.host ?? "this server's LAN address"} only.`,
    `6. Security > Relay Control: "Do not allow message relay"; Trusted Hosts / Trusted IPs: ${a.lan.join(', ') || 'your LAN'}.`,
    `7. Server Settings > Sessions: Maximum concurrent SMTP outbound sessions ${a.maxConnections}.`,
    '8. OK, then Queues > Remote queue > Process now to send what is waiting.',
  ];
  if (a.tls === 'implicit') lines.splice(3, 1, `3. Ports: Outbound SMTP port ${a.smarthost.port}, and in SSL & TLS use "dedicated SSL port" for outbound.`);
  return {
    server: 'mdaemon',
    title: 'MDaemon',
    files: [stepsFile('mdaemon', lines)],
    steps: [...caStep(a), ...lines.map((text) => ({ text })), reminder(a, 'MDaemon sends to the smarthost only when "Send all outbound email to the server specified below" is selected')],
    checks: [],
    warnings: [],
  };
}

export function argosoft(a: Answers): Generated {
  if (a.tls === 'implicit') throw new UsageError('argosoft: use --tls starttls with port 587 (implicit TLS relaying is not offered in its options)');
  const lines = [
    'ArGoSoft Mail Server: Tools > Options:',
    `1. SMTP Relay (or "Relay" tab): tick "Use relay server"; Relay server: ${a.smarthost.host}; Port: ${a.smarthost.port}.`,
    `2. Tick "Relay server requires authentication"; User name ${a.user}; Password: the OMR password.`,
    '3. SSL/TLS: tick "Use TLS when sending to relay server" (STARTTLS) and do not allow falling back to plain text.',
    `4. General: Bind to IP ${a.listen.find((e) => !e.host.startsWith('127.'))?.host ?? "this server's LAN address"}; Local host name ${a.hostname}.`,
    `5. Relay / Security: "Allow relaying only for" the LAN: ${a.lan.join(', ') || 'your LAN'} and 127.0.0.1; tick "Require SMTP authentication" for everyone else.`,
    `6. Delivery threads: at most ${a.maxConnections}.`,
    '7. OK, then restart the service.',
  ];
  return {
    server: 'argosoft',
    title: 'ArGoSoft Mail Server',
    files: [stepsFile('argosoft', lines)],
    steps: [...caStep(a), ...lines.map((text) => ({ text })), reminder(a, 'ArGoSoft ignores the relay server unless "Use relay server" is ticked')],
    checks: [],
    warnings: ['ArGoSoft option names differ between versions (.NET and classic); the settings above are the ones to find.'],
  };
}
