// Resolved relay config (src/config, file/env/flag precedence) -> the relay's typed options.
import { readFileSync } from 'node:fs';
import type { RelayConfig } from '../config/relay-keys.js';
import { UsageError } from '../core/errors.js';
import { defaultRelayOptions, type RelayOptions } from './types.js';

export function readCa(path: string): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (e) {
    throw new UsageError(`--ca ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Give a PEM file holding the CA certificate.');
  }
}

export function toRelayOptions(c: RelayConfig, password?: string): RelayOptions {
  return {
    ...defaultRelayOptions(),
    listen: c.listen,
    allow: c.allow,
    allowPublicClients: c.allowPublicClients,
    smarthost: c.smarthost,
    tls: c.tls,
    ca: c.ca ? readCa(c.ca) : undefined,
    user: c.user,
    password,
    spool: c.spool,
    maxConnections: c.maxConnections,
    maxMessageSize: c.maxMessageSize,
    maxRecipients: c.maxRecipients,
    maxLineLength: c.maxLineLength,
    maxHeaderSize: c.maxHeaderSize,
    sessionsPerClient: c.sessionsPerClient,
    commandTimeoutMs: c.commandTimeout,
    retryBaseMs: c.retryFirst,
    retryMaxMs: c.retryMax,
    maxQueueLifetimeMs: c.maxQueueLifetime,
    hostname: c.hostname,
    ops: { clientRate: c.clientRate, clientRecipientRate: c.clientRecipientRate, quotaHour: c.quotaHour, quotaMonth: c.quotaMonth, dedupeWindow: c.dedupeWindow, metrics: c.metrics },
  };
}
