// The open-relay battery: the 16 MAIL FROM / RCPT TO address forms nmap's smtp-open-relay
// tries (null sender, the server's own names, [IP] literals, the % hack, quoted local parts,
// source routes and UUCP bang paths). A server that accepts any RCPT here for a foreign
// domain will probably relay. The battery never sends DATA, so nothing is ever delivered.
import { isIP } from 'node:net';

export interface RelayVariant {
  /** 1-based position in the battery, stable for reports. */
  index: number;
  mailFrom: string;
  rcptTo: string;
}

export interface RelayVariantInput {
  /** Address of the target as the server sees it (used for [IP] literals). */
  ip: string;
  /** The server's own name (from its banner or EHLO reply); falls back to the target name. */
  serverName: string;
  /** Local part and domain of our pretend sender. */
  fromUser?: string;
  fromDomain?: string;
  /** Foreign recipient; never delivered because DATA is never sent. */
  toUser?: string;
  toDomain?: string;
}

export const DEFAULT_FROM_USER = 'omr-relay-test';
export const DEFAULT_FROM_DOMAIN = 'example.com';
export const DEFAULT_TO_USER = 'relaytest';
export const DEFAULT_TO_DOMAIN = 'example.net';

/** "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 address literals). */
export function addressLiteral(ip: string): string {
  return isIP(ip) === 6 ? `[IPv6:${ip}]` : `[${ip}]`;
}

export function relayVariants(input: RelayVariantInput): RelayVariant[] {
  const lit = addressLiteral(input.ip);
  const srv = input.serverName;
  const fromUser = input.fromUser ?? DEFAULT_FROM_USER;
  const fromDomain = input.fromDomain ?? DEFAULT_FROM_DOMAIN;
  const user = input.toUser ?? DEFAULT_TO_USER;
  const domain = input.toDomain ?? DEFAULT_TO_DOMAIN;
  const to = `${user}@${domain}`;
  const fromLit = `<${fromUser}@${lit}>`;
  const pairs: Array<[string, string]> = [
    ['<>', `<${to}>`],
    [`<${fromUser}@${fromDomain}>`, `<${to}>`],
    [`<${fromUser}@${srv}>`, `<${to}>`],
    [fromLit, `<${to}>`],
    [fromLit, `<${user}%${domain}@${lit}>`],
    [fromLit, `<${user}%${domain}@${srv}>`],
    [fromLit, `<"${to}">`],
    [fromLit, `<"${user}%${domain}">`],
    [fromLit, `<${to}@${lit}>`],
    [fromLit, `<"${to}"@${lit}>`],
    [fromLit, `<${to}@${srv}>`],
    [fromLit, `<@${lit}:${to}>`],
    [fromLit, `<@${srv}:${to}>`],
    [fromLit, `<${domain}!${user}>`],
    [fromLit, `<${domain}!${user}@${lit}>`],
    [fromLit, `<${domain}!${user}@${srv}>`],
  ];
  return pairs.map(([mailFrom, rcptTo], i) => ({ index: i + 1, mailFrom, rcptTo }));
}

/** The server's name from a 220 greeting ("220 mx.example.org ESMTP ..."), if it gives one. */
export function serverNameFromGreeting(greeting: string): string | undefined {
  const m = /^\d{3}[ -](\S+)/.exec(greeting);
  const name = m?.[1];
  if (!name || !/^[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$|^[A-Za-z0-9-]+$/.test(name)) return undefined;
  return name;
}
