// nullmailer: /etc/nullmailer/remotes is parsed with (nearly) shell quoting rules, so every
// value is single-quoted. nullmailer never listens, so it cannot be an open relay.
import { nullmailerQuote } from '../escape.js';
import { header, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export function nullmailer(a: Answers): Generated {
  const password = needPassword(a);
  const opts = [
    'smtp',
    `--port=${a.smarthost.port}`,
    a.tls === 'implicit' ? '--tls' : '--starttls',
    ...(a.ca ? [`--x509cafile=${nullmailerQuote(a.ca)}`] : []),
    `--user=${nullmailerQuote(a.user)}`,
    `--pass=${nullmailerQuote(password)}`,
  ];
  return {
    server: 'nullmailer',
    title: 'nullmailer',
    files: [
      { path: '/etc/nullmailer/remotes', content: `${header('#', a)}\n${a.smarthost.host} ${opts.join(' ')}\n`, mode: 0o600, owner: 'mail:mail', secret: true, merge: { kind: 'whole' } },
      { path: '/etc/nullmailer/me', content: `${a.hostname}\n`, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'whole' } },
      { path: '/etc/nullmailer/defaultdomain', content: `${a.hostname.split('.').slice(1).join('.') || a.hostname}\n`, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'whole' } },
    ],
    steps: [
      { text: 'systemctl restart nullmailer', command: ['systemctl', 'restart', 'nullmailer'] },
      { text: 'nullmailer does not listen on the network: only programs on this host can send through it.' },
      reminder(a, 'the first line of /etc/nullmailer/remotes names the smarthost'),
    ],
    checks: [],
    warnings: [],
  };
}
