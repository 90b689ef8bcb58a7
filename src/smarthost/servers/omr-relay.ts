// Our own relay: its YAML config (keys as the relay's flags) plus a 0600 password file, so the
// config itself holds no secret and can be shown and diffed freely.
import { stringify } from 'yaml';
import { formatHostPort } from '../../core/parse.js';
import { header, isLoopback, lanListen, needPassword, reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export const RELAY_CONFIG = '/etc/omr/relay.yaml';
export const RELAY_PASSWORD = '/etc/omr/password';

export function omrRelay(a: Answers): Generated {
  const password = needPassword(a);
  const config: Record<string, unknown> = {
    // Loopback as given with --listen (default 127.0.0.1:2525), then the LAN addresses.
    listen: [...(a.listen.some(isLoopback) ? a.listen.filter(isLoopback) : [{ host: '127.0.0.1', port: 2525 }]), ...lanListen(a)].map(formatHostPort),
    allow: ['127.0.0.0/8', '::1/128', ...a.lan],
    smarthost: formatHostPort(a.smarthost),
    tls: a.tls,
    ...(a.ca ? { ca: a.ca } : {}),
    user: a.user,
    hostname: a.hostname,
    'password-file': RELAY_PASSWORD,
    spool: a.spool ?? '/var/spool/omr',
    'max-connections': a.maxConnections,
  };
  const yamlText = `${header('#', a)}\n${stringify(config, { lineWidth: 0 })}`;
  return {
    server: 'omr-relay',
    title: 'omr relay',
    files: [
      { path: RELAY_CONFIG, content: yamlText, mode: 0o644, owner: 'root:root', secret: false, merge: { kind: 'whole' } },
      { path: RELAY_PASSWORD, content: `${password}\n`, mode: 0o600, owner: 'root:root', secret: true, merge: { kind: 'whole' } },
    ],
    steps: [
      { text: `omr config check ${RELAY_CONFIG}`, command: ['omr', 'config', 'check', RELAY_CONFIG] },
      { text: `omr relay install-service --config ${RELAY_CONFIG} && systemctl enable --now omr-relay` },
      reminder(a, `omr relay status --config ${RELAY_CONFIG}`),
    ],
    checks: [],
    warnings: [],
  };
}
