// OpenSMTPD: one relay action with an auth label. The label only works with smtp+tls:// or
// smtps://, which also make TLS mandatory and verify the certificate.
import { isIP } from 'node:net';
import { assertNoEdgeSpace, userColonPassword } from '../escape.js';
import { header, lanListen, lanReminder, loopbackListen, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export const OPENSMTPD_SECRETS = '/etc/smtpd/omr-secrets';

export function opensmtpd(a: Answers): Generated {
  const password = needPassword(a);
  assertNoEdgeSpace('the OpenSMTPD table', 'the password', password);
  const proto = a.tls === 'implicit' ? 'smtps' : 'smtp+tls';
  const host = isIP(a.smarthost.host) === 6 ? `[${a.smarthost.host}]` : a.smarthost.host;
  const listens = [...loopbackListen(a), ...lanListen(a)].map((e) => `listen on ${e.host}${e.port === 25 ? '' : ` port ${e.port}`}`);
  const conf = [
    header('#', a),
    'table aliases file:/etc/aliases',
    `table secrets file:${OPENSMTPD_SECRETS}`,
    ...(a.lan.length ? [`table lan { ${a.lan.join(', ')} }`] : []),
    // OpenSMTPD 6.8 verifies relay certificates against the "*" CA entry when one exists (the
    // CA named after the host is not consulted for relays: measured), else the system bundle.
    ...(a.ca ? [`# Trust this CA (instead of the system bundle) for the smarthost certificate.`, `ca "*" cert "${a.ca}"`] : []),
    '',
    '# LAN-only listeners.',
    ...listens,
    '',
    'action "local" mbox alias <aliases>',
    `action "omr" relay host ${proto}://omr@${host}:${a.smarthost.port} auth <secrets> helo ${a.hostname}`,
    '',
    'match from local for local action "local"',
    'match from local for any action "omr"',
    ...(a.lan.length ? ['match from src <lan> for any action "omr"'] : []),
    '',
  ].join('\n');
  return {
    server: 'opensmtpd',
    title: 'OpenSMTPD',
    files: [
      { path: '/etc/smtpd.conf', content: conf, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'whole' } },
      {
        path: OPENSMTPD_SECRETS,
        content: `# label  user:password (the label "omr" is used in smtpd.conf)\nomr ${userColonPassword('the OpenSMTPD credentials table', a.user, password)}\n`,
        mode: 0o640, owner: 'root:opensmtpd', secret: true, merge: { kind: 'whole' },
      },
    ],
    steps: [
      { text: 'smtpd -n (checks the configuration)', command: ['smtpd', '-n'] },
      { text: 'systemctl restart opensmtpd', command: ['systemctl', 'restart', 'opensmtpd'] },
      lanReminder(a),
      reminder(a, 'smtpctl show routes / the "omr" action is used by the match lines'),
    ],
    checks: [{ text: 'smtpd -n', command: ['smtpd', '-n'] }],
    warnings: [],
  };
}
