// dma (DragonFly Mail Agent): smarthost + auth.conf. dma 0.13 checks no CA chain; the only
// verification it offers is pinning the certificate's SHA-256 fingerprint.
import { UsageError } from '../../core/errors.js';
import { userColonPassword } from '../escape.js';
import { header, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export function dma(a: Answers): Generated {
  const password = needPassword(a);
  if (a.user.includes('|')) throw new UsageError("dma: the user name may not contain '|'");
  if (a.smarthost.host.includes(':')) throw new UsageError('dma: give the smarthost as a host name or IPv4 address');
  const fp = a.fingerprint?.replace(/:/g, '').toLowerCase();
  if (fp !== undefined && !/^[0-9a-f]{64}$/.test(fp)) throw new UsageError('--fingerprint must be a SHA-256 fingerprint (64 hex digits)');
  const conf = [
    header('#', a),
    `SMARTHOST ${a.smarthost.host}`,
    `PORT ${a.smarthost.port}`,
    'AUTHPATH /etc/dma/auth.conf',
    'SECURETRANSFER',
    ...(a.tls === 'implicit' ? [] : ['STARTTLS']),
    ...(fp ? [`FINGERPRINT ${fp}`] : []),
    `MAILNAME ${a.hostname}`,
    '',
  ].join('\n');
  const warnings = fp
    ? []
    : ['dma cannot verify the smarthost certificate against a CA; pass --fingerprint SHA256 to pin it (openssl s_client -starttls smtp ... | openssl x509 -noout -fingerprint -sha256), or use postfix/msmtp/omr-relay.'];
  return {
    server: 'dma',
    title: 'dma (DragonFly Mail Agent)',
    files: [
      { path: '/etc/dma/dma.conf', content: conf, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'whole' } },
      {
        path: '/etc/dma/auth.conf',
        // user|host:password — the password is the rest of the line after the first ':'.
        content: `${a.user}|${a.smarthost.host}:${userColonPassword('dma auth.conf', 'x', password).slice(2)}\n`,
        mode: 0o640, owner: 'root:mail', secret: true, merge: { kind: 'whole' },
      },
    ],
    steps: [
      { text: 'dma does not listen on the network: only programs on this host can send through it.' },
      reminder(a, 'SMARTHOST in /etc/dma/dma.conf'),
    ],
    checks: [],
    warnings,
  };
}
