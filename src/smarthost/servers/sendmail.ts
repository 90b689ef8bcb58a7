// Sendmail: sendmail.mc lines (SMART_HOST, port via mailer args, authinfo map, TLS verification
// through the access map) plus /etc/mail/authinfo. Passwords go base64 ("P=") so no quoting
// rule of the authinfo format can bite. Relay access is by address prefix (no CIDR in access).
import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { assertToken, sendmailB64 } from '../escape.js';
import { caFile, header, lanListen, lanReminder, loopbackListen, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

/** 192.168.1.0/24 -> "192.168.1"; only whole-octet IPv4 prefixes are expressible. */
export function accessPrefix(cidr: string): string {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (isIP(addr!) !== 4 || len % 8 !== 0 || len === 0)
    throw new UsageError(`sendmail's access map needs /8, /16, /24 or /32 IPv4 networks; got ${cidr}`);
  return addr!.split('.').slice(0, len / 8).join('.');
}

export function sendmail(a: Answers): Generated {
  const password = needPassword(a);
  assertToken('the user name', a.user);
  if (a.tls === 'implicit') throw new UsageError('sendmail: implicit TLS (465) is not supported by this generator; use --tls starttls (port 587)');
  const host = a.smarthost.host;
  const daemons = [...loopbackListen(a), ...lanListen(a)].map((e) => `DAEMON_OPTIONS(\`Family=${e.host.includes(':') ? 'inet6' : 'inet'}, Name=MTA-${e.host}, Port=${e.port}, Addr=${e.host}')dnl`);
  const mc = [
    header('dnl #', a),
    `define(\`SMART_HOST', \`[${host}]')dnl`,
    `define(\`RELAY_MAILER_ARGS', \`TCP $h ${a.smarthost.port}')dnl`,
    `define(\`ESMTP_MAILER_ARGS', \`TCP $h ${a.smarthost.port}')dnl`,
    "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl",
    "define(`confAUTH_OPTIONS', `A p')dnl",
    "FEATURE(`authinfo', `hash -o /etc/mail/authinfo.db')dnl",
    `define(\`confCACERT', \`${caFile(a)}')dnl`,
    "define(`confCACERT_PATH', `/etc/ssl/certs')dnl",
    `define(\`confMAX_DAEMON_CHILDREN', \`20')dnl`,
    `define(\`confTO_IDENT', \`0')dnl`,
    ...daemons,
    '',
  ].join('\n');
  const authinfo = `AuthInfo:${host} "U=${sendmailB64(a.user)}" "I=${sendmailB64(a.user)}" "P=${sendmailB64(password)}" "M:PLAIN LOGIN"\n`;
  const access = [
    '# Relay only for this host and the LAN; require a verified certificate from the smarthost.',
    'Connect:127.0.0.1\tRELAY',
    ...a.lan.map((c) => `Connect:${accessPrefix(c)}\tRELAY`),
    `TLS_Srv:${host}\tVERIFY:128`,
    `Try_TLS:${host}\tYES`,
    '',
  ].join('\n');
  return {
    server: 'sendmail',
    title: 'Sendmail',
    files: [
      { path: '/etc/mail/sendmail.mc', content: mc, mode: 0o644, owner: 'root:smmsp', secret: false, merge: { kind: 'block', comment: 'dnl #', before: /^\s*MAILER(_DEFINITIONS)?\(/m } },
      { path: '/etc/mail/authinfo', content: authinfo, mode: 0o600, owner: 'root:root', secret: true, merge: { kind: 'whole' } },
      { path: '/etc/mail/access', content: access, mode: 0o644, owner: 'root:smmsp', secret: false, merge: { kind: 'block', comment: '#' } },
    ],
    steps: [
      { text: 'makemap hash /etc/mail/authinfo < /etc/mail/authinfo', command: ['sh', '-c', 'makemap hash /etc/mail/authinfo < /etc/mail/authinfo && chmod 0600 /etc/mail/authinfo.db'] },
      { text: 'makemap hash /etc/mail/access < /etc/mail/access', command: ['sh', '-c', 'makemap hash /etc/mail/access < /etc/mail/access'] },
      { text: 'make -C /etc/mail (rebuilds sendmail.cf from sendmail.mc; Debian: sendmailconfig)', command: ['make', '-C', '/etc/mail'] },
      { text: 'systemctl restart sendmail', command: ['systemctl', 'restart', 'sendmail'] },
      lanReminder(a),
      reminder(a, 'grep DS /etc/mail/sendmail.cf shows the smarthost'),
    ],
    checks: [{ text: 'sendmail -d0.1 -bv root', command: ['sendmail', '-d0.1', '-bv', 'root'] }],
    warnings: [
      'Sendmail must be built with SASL and STARTTLS (sendmail -d0.1 lists SASLv2 and STARTTLS); on Debian install sasl2-bin and libsasl2-modules.',
      "The access map is read only with FEATURE(`access_db') in sendmail.mc (Debian's default has it).",
    ],
  };
}
