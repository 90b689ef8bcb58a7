// Debian exim4 ("mail sent by smarthost; no local mail"), the same answers dpkg-reconfigure
// exim4-config asks for, plus what it cannot express: TLS required and verified (macros read by
// Debian's remote_smtp_smarthost transport) and a passwd.client line that matches.
import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { shQuoteAlways, userColonPassword } from '../escape.js';
import { caFile, header, lanListen, lanReminder, loopbackListen, needPassword, reminder } from '../common.js';
import type { Answers, Endpoint, Generated } from '../types.js';

/** Exim lists use ':' as separator, so IPv6 colons are doubled. */
function eximNet(cidr: string): string {
  return cidr.replace(/:/g, '::');
}

function eximInterface(e: Endpoint): string {
  const host = isIP(e.host) === 6 ? e.host.replace(/:/g, '::') : e.host;
  return e.port === 25 ? host : `${host}.${e.port}`;
}

export function exim4(a: Answers): Generated {
  const password = needPassword(a);
  if (isIP(a.smarthost.host) === 6) throw new UsageError('exim4: give the smarthost as a host name, not an IPv6 literal');
  const split = a.eximSplit === true;
  const ifaces = [...loopbackListen(a), ...lanListen(a)].map(eximInterface);
  const vars: Array<[string, string]> = [
    ['dc_eximconfig_configtype', 'smarthost'],
    ['dc_other_hostnames', ''],
    ['dc_local_interfaces', [...new Set(ifaces)].join(' ; ')],
    ['dc_readhost', ''],
    ['dc_relay_domains', ''],
    ['dc_minimaldns', 'false'],
    ['dc_relay_nets', a.lan.map(eximNet).join(' : ')],
    ['dc_smarthost', `${a.smarthost.host}::${a.smarthost.port}`],
    ['CFILEMODE', '644'],
    ['dc_use_split_config', split ? 'true' : 'false'],
    ['dc_hide_mailname', 'true'],
    ['dc_mailname_in_oh', 'true'],
    ['dc_localdelivery', 'mail_spool'],
  ];
  const conf = [header('#', a), ...vars.map(([k, v]) => `${k}=${shQuoteAlways(v)}`), ''].join('\n');
  const macros = [
    header('#', a),
    '# Read by the remote_smtp_smarthost transport of Debian\'s exim4-config.',
    'REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *',
    'REMOTE_SMTP_SMARTHOST_TLS_VERIFY_HOSTS = *',
    `REMOTE_SMTP_SMARTHOST_TLS_VERIFY_CERTIFICATES = ${caFile(a)}`,
    ...(a.tls === 'implicit' ? ['REMOTE_SMTP_SMARTHOST_PROTOCOL = smtps'] : []),
    '',
  ].join('\n');
  const passwd = [
    '# Exim matches this file against the smarthost\'s reverse-DNS (PTR) name, not the name in',
    `# dc_smarthost, so "${a.smarthost.host}" would often not match; "*" matches whatever the PTR is.`,
    '# Only the smarthost transport consults it, and AUTH is only sent over TLS.',
    `*:${userColonPassword('exim4 passwd.client', a.user, password)}`,
    '',
  ].join('\n');
  const warnings: string[] = [];
  if (password.includes(':'))
    warnings.push("Debian's cram_md5 client authenticator cuts the password at a ':'; PLAIN and LOGIN (used over TLS) read it whole.");
  return {
    server: 'exim4',
    title: `Exim 4 (Debian, ${split ? 'split' : 'unsplit'} configuration)`,
    files: [
      { path: '/etc/exim4/update-exim4.conf.conf', content: conf, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'block', comment: '#', supersede: 'shell' } },
      {
        path: split ? '/etc/exim4/conf.d/main/000_localmacros' : '/etc/exim4/exim4.conf.localmacros',
        content: macros, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'block', comment: '#' },
      },
      { path: '/etc/exim4/passwd.client', content: passwd, mode: 0o640, owner: 'root:Debian-exim', secret: true, merge: { kind: 'block', comment: '#' } },
    ],
    steps: [
      { text: 'update-exim4.conf', command: ['update-exim4.conf'] },
      { text: 'systemctl restart exim4', command: ['systemctl', 'restart', 'exim4'] },
      lanReminder(a),
      reminder(a, 'exim4 -bP transport remote_smtp_smarthost'),
    ],
    checks: [{ text: 'exim4 -bV', command: ['exim4', '-bV'] }],
    warnings,
  };
}
