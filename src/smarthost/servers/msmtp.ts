// msmtp: a sendmail replacement that never listens, so it cannot be an open relay. Values are
// double-quoted; inside quotes a backslash escapes the next character.
import { msmtpQuote } from '../escape.js';
import { caFile, header, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export function msmtp(a: Answers): Generated {
  const password = needPassword(a);
  const rc = [
    header('#', a),
    'defaults',
    'auth on',
    'tls on',
    `tls_starttls ${a.tls === 'implicit' ? 'off' : 'on'}`,
    `tls_trust_file ${msmtpQuote(caFile(a))}`,
    'tls_certcheck on',
    'syslog LOG_MAIL',
    '',
    'account omr',
    `host ${a.smarthost.host}`,
    `port ${a.smarthost.port}`,
    `domain ${a.hostname}`,
    `user ${msmtpQuote(a.user)}`,
    `password ${msmtpQuote(password)}`,
    '',
    'account default : omr',
    '',
  ].join('\n');
  return {
    server: 'msmtp',
    title: 'msmtp',
    files: [{ path: '/etc/msmtprc', content: rc, mode: 0o600, owner: 'root:root', secret: true, merge: { kind: 'whole' } }],
    steps: [
      { text: 'msmtp does not listen on the network; programs on this host send with /usr/sbin/sendmail (apt-get install msmtp-mta).' },
      { text: '/etc/msmtprc is readable by root only; for other users, chgrp msmtp /etc/msmtprc, chmod 0640 and make msmtp setgid msmtp (dpkg-reconfigure msmtp).' },
      reminder(a, 'msmtp --pretend shows the account'),
    ],
    checks: [{ text: 'msmtp --pretend --file=/etc/msmtprc root', command: ['msmtp', '--pretend', '--file=/etc/msmtprc', 'root'] }],
    warnings: [],
  };
}
