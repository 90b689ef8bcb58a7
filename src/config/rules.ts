// Rules across keys: what the schema alone cannot say. Errors stop the relay; warnings are shown.
import type { ConfigProblem } from '../core/errors.js';
import type { RelayConfig } from './relay-keys.js';
import { isLoopbackHost } from '../core/address.js';

type Where = (key: string) => { origin?: string; file?: string; line?: number };

export function checkRules(c: RelayConfig, where: Where): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (key: string, message: string, severity: 'error' | 'warning') => {
    const w = where(key);
    out.push({ key, message, severity, file: w.origin === 'file' ? w.file : undefined, line: w.line });
  };
  if (c.maxConnections > 5)
    add('max-connections', `${c.maxConnections} is above OMR's limit of 5 sessions per account; the 6th gets 421`, 'warning');
  if (c.tls === 'none' && c.user)
    add('tls', 'with tls: none the password is never sent (AUTH only over TLS); the smarthost must accept mail without AUTH', 'warning');
  if (c.tls === 'implicit' && c.smarthost.port === 587)
    add('tls', 'implicit TLS on port 587 is unusual (587 normally uses STARTTLS, 465 implicit TLS)', 'warning');
  if (c.metrics && !isLoopbackHost(c.metrics.host))
    add('metrics', `${c.metrics.host} is not a loopback address; the metrics endpoint only listens on loopback`, 'error');
  if (c.retryMax < c.retryFirst) add('retry-max', 'must not be shorter than retry-first', 'error');
  if (c.allow.some((n) => n === '0.0.0.0/0' || n === '::/0') && !c.allowPublicClients)
    add('allow', 'allows every address; public sources are still refused unless allow-public-clients is set', 'warning');
  if (c.allowPublicClients) add('allow-public-clients', 'public addresses matching allow may relay: the gateway can become an open relay', 'warning');
  return out;
}
