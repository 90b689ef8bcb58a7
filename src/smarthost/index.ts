// The generator registry: SERVER name -> pure generator.
import { argosoft, mdaemon } from './servers/manual.js';
import { dma } from './servers/dma.js';
import { exchange } from './servers/exchange.js';
import { exim4 } from './servers/exim4.js';
import { hmailserver } from './servers/hmailserver.js';
import { iisSmtp } from './servers/iis-smtp.js';
import { msmtp } from './servers/msmtp.js';
import { nullmailer } from './servers/nullmailer.js';
import { omrRelay } from './servers/omr-relay.js';
import { opensmtpd } from './servers/opensmtpd.js';
import { postfix } from './servers/postfix.js';
import { sendmail } from './servers/sendmail.js';
import { assertPrintable } from './escape.js';
import type { Answers, Generated, Generator, ServerId } from './types.js';

export * from './types.js';

export const GENERATORS: Record<ServerId, Generator> = {
  'omr-relay': omrRelay, postfix, exim4, sendmail, opensmtpd, msmtp, nullmailer, dma,
  hmailserver, exchange, 'iis-smtp': iisSmtp, mdaemon, argosoft,
};

/** Servers whose output never contains the password (asked for at run time or typed by hand). */
export const NO_PASSWORD: ReadonlySet<ServerId> = new Set(['exchange', 'iis-smtp', 'mdaemon', 'argosoft']);

export function generate(a: Answers): Generated {
  assertPrintable('the user name', a.user);
  if (a.password !== undefined) assertPrintable('the password', a.password);
  return GENERATORS[a.server](a);
}
