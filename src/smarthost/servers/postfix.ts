// Postfix: relayhost with SASL over verified TLS. Traps handled here: the sasl_passwd key must
// repeat relayhost exactly ([host]:port, brackets = no MX lookup), and the on-demand connection
// cache must be off so delivery agents equal connections (OMR refuses the 6th with 421).
import { isIP } from 'node:net';
import { userColonPassword } from '../escape.js';
import { caFile, header, lanListen, lanReminder, loopbackListen, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export function postfixNexthop(a: Answers): string {
  return `[${a.smarthost.host}]:${a.smarthost.port}`;
}

function postfixNet(cidr: string): string {
  const [addr, len] = cidr.split('/');
  return isIP(addr!) === 6 ? `[${addr}]/${len}` : cidr;
}

export function postfix(a: Answers): Generated {
  const password = needPassword(a);
  const relayhost = postfixNexthop(a);
  const interfaces = [...loopbackListen(a), ...lanListen(a)].map((e) => e.host);
  const mainCf = [
    header('#', a),
    `myhostname = ${a.hostname}`,
    '# LAN-only listening and relaying: never an open relay.',
    `inet_interfaces = ${[...new Set(interfaces)].join(', ')}`,
    `mynetworks = ${['127.0.0.0/8', '[::1]/128', ...a.lan.map(postfixNet)].join(' ')}`,
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    `relayhost = ${relayhost}`,
    'smtp_sasl_auth_enable = yes',
    'smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd',
    'smtp_sasl_security_options = noanonymous',
    'smtp_sasl_tls_security_options = noanonymous',
    '# secure = TLS required and the certificate must match the relayhost name.',
    'smtp_tls_security_level = secure',
    'smtp_tls_mandatory_protocols = >=TLSv1.2',
    `smtp_tls_CAfile = ${caFile(a)}`,
    ...(a.tls === 'implicit' ? ['smtp_tls_wrappermode = yes'] : []),
    '# OMR allows 5 connections per account; the on-demand cache would add idle ones on top.',
    'smtp_connection_cache_on_demand = no',
    `smtp_destination_concurrency_limit = ${a.maxConnections}`,
    'smtp_tls_loglevel = 1',
    '',
  ].join('\n');
  const warnings: string[] = [];
  if (a.listen.some((e) => e.port !== 25))
    warnings.push('Postfix listens on port 25 (master.cf service "smtp"); the port in --listen is not applied.');
  return {
    server: 'postfix',
    title: 'Postfix',
    files: [
      { path: '/etc/postfix/main.cf', content: mainCf, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'block', comment: '#', supersede: 'postfix' } },
      {
        path: '/etc/postfix/sasl_passwd',
        content: `# The key must repeat relayhost exactly.\n${relayhost} ${userColonPassword('Postfix sasl_passwd', a.user, password)}\n`,
        mode: 0o600, owner: 'root:root', secret: true, merge: { kind: 'whole' },
      },
    ],
    steps: [
      { text: 'Install the SASL mechanisms Postfix needs for AUTH PLAIN/LOGIN: apt-get install libsasl2-modules' },
      { text: 'postmap hash:/etc/postfix/sasl_passwd', command: ['postmap', 'hash:/etc/postfix/sasl_passwd'] },
      { text: 'chmod 0600 /etc/postfix/sasl_passwd.db', command: ['chmod', '0600', '/etc/postfix/sasl_passwd.db'] },
      { text: 'postfix reload (or: systemctl restart postfix)', command: ['postfix', 'reload'] },
      lanReminder(a),
      reminder(a, 'postconf relayhost shows ' + relayhost),
    ],
    checks: [{ text: 'postfix check', command: ['postfix', 'check'] }],
    warnings,
  };
}
