// Escaping per configuration format. Each helper either returns text the target parser reads
// back as exactly the input, or throws UsageError naming the format and the offending character,
// so a secret is never silently truncated.
import { UsageError } from '../core/errors.js';

/** Control characters no config format here can carry (CR, LF, NUL, ...). */
export function assertPrintable(what: string, value: string): void {
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new UsageError(`${what} contains a control character (newline, tab or NUL); no mail server config can hold it`);
}

/** Formats that split "key value" on whitespace and trim the line: no edge whitespace allowed. */
export function assertNoEdgeSpace(format: string, what: string, value: string): void {
  if (value !== value.trim())
    throw new UsageError(`${what} starts or ends with a space, which ${format} strips; choose a password without edge spaces`);
}

/** POSIX shell single quotes for shell-sourced files and printed commands: 'it'\''s'. */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * nullmailer remotes: its parser (lib/argparse.cc) skips the character after a backslash escape
 * without looking at it, so '\'' breaks; a quote is closed, given in double quotes, and reopened
 * ('it'"'"'s'), which it and any POSIX shell read the same way.
 */
export function nullmailerQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** shQuote that always quotes (values of shell variable assignments read by Debian scripts). */
export function shQuoteAlways(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * msmtprc: the argument is the rest of the line; msmtp strips one pair of enclosing double quotes
 * and knows no escapes (measured with msmtp 1.8.23: `"a\b"` is read as a\b, `"a"b"` as a"b).
 * Quoting always keeps edge spaces and a leading '#'.
 */
export function msmtpQuote(s: string): string {
  return `"${s}"`;
}

/** PowerShell single-quoted string: the quote is doubled; PowerShell also treats curly quotes as quotes. */
export function psQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** YAML-free key=value for Windows step texts: shown verbatim inside quotes. */
export function showQuoted(s: string): string {
  return `"${s}"`;
}

/** Sendmail authinfo: "X=base64" carries any byte string without quoting rules. */
export function sendmailB64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** Postfix/OpenSMTPD/Exim/dma tables: "user:password" where the password is the rest of the line. */
export function userColonPassword(format: string, user: string, password: string): string {
  if (/[:\s]/.test(user)) throw new UsageError(`the user name may not contain ':' or spaces for ${format}`);
  assertNoEdgeSpace(format, 'the password', password);
  return `${user}:${password}`;
}

/** Table keys and words that must stay one token in any of the formats above. */
export function assertToken(what: string, value: string): void {
  if (!/^[A-Za-z0-9._@+=%-]+$/.test(value))
    throw new UsageError(`${what} "${value}" has characters this server's config cannot hold (allowed: letters, digits, . _ @ + = % -)`);
}
