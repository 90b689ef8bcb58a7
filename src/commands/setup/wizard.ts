// The questions. Each validator reuses the parser the answers go through later, so what the
// prompt accepts is exactly what the generator accepts. Prompts write to stderr: stdout stays
// for the result.
import { confirm, input, password as passwordPrompt, select } from '@inquirer/prompts';
import { isOmrError } from '../../core/errors.js';
import { parseHostPort } from '../../core/parse.js';
import { parseLanCidr, parseListen, validateHostname, type RawAnswers } from '../../smarthost/answers.js';
import { NO_PASSWORD } from '../../smarthost/index.js';
import { SERVERS, type ServerId } from '../../smarthost/types.js';

export const SEND_ONLY: ReadonlySet<ServerId> = new Set(['msmtp', 'nullmailer', 'dma']);

export interface WizardDefaults {
  server?: ServerId;
  lanCidr?: string;
  lanAddress?: string;
  hostname: string;
  /** A password is already known (OMR_PASSWORD / --password-file): do not ask. */
  havePassword: boolean;
}

export interface WizardContext {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  signal: AbortSignal;
}

function check(fn: () => unknown): true | string {
  try {
    fn();
    return true;
  } catch (e) {
    // Drop the "--flag value:" prefix the shared parsers add for the command line.
    return (isOmrError(e) || e instanceof Error ? (e as Error).message : String(e)).replace(/^--[a-z-]+ [^:]*: /, '');
  }
}

const SERVER_NAMES: Record<ServerId, string> = {
  'omr-relay': 'omr relay (this toolkit\'s own LAN relay)', postfix: 'Postfix', exim4: 'Exim 4 (Debian)', sendmail: 'Sendmail',
  opensmtpd: 'OpenSMTPD', msmtp: 'msmtp (send-only)', nullmailer: 'nullmailer (send-only)', dma: 'dma (send-only)',
  hmailserver: 'hMailServer (Windows)', exchange: 'Microsoft Exchange', 'iis-smtp': 'IIS SMTP service', mdaemon: 'MDaemon', argosoft: 'ArGoSoft Mail Server',
};

export async function askAnswers(d: WizardDefaults, c: WizardContext): Promise<{ raw: RawAnswers; password?: string }> {
  const server = await select<ServerId>({
    message: 'Which mail server should send through the smarthost?',
    choices: SERVERS.map((s) => ({ value: s, name: s === d.server ? `${SERVER_NAMES[s]}  (installed here)` : SERVER_NAMES[s] })),
    default: d.server ?? 'postfix',
  }, c);
  const user = await input({ message: 'OMR account (SMTP user name):', validate: (v) => (v.trim() && !/\s/.test(v.trim()) ? true : 'enter the account name, without spaces') }, c);
  let pw: string | undefined;
  if (!NO_PASSWORD.has(server) && !d.havePassword)
    pw = await passwordPrompt({ message: 'OMR password (not shown):', mask: true, validate: (v) => (v.length > 0 && !/[\r\n\0]/.test(v) ? true : 'enter the password') }, c);
  const smarthost = await input({ message: 'Smarthost (host[:port]):', default: 'omr.tzo.com:587', validate: (v) => check(() => parseHostPort(v, 587)) }, c);
  const port = parseHostPort(smarthost, 587).port;
  const tls = await select<'starttls' | 'implicit'>({
    message: 'TLS to the smarthost (the certificate is always verified):',
    choices: [{ value: 'starttls', name: 'STARTTLS (port 587)' }, { value: 'implicit', name: 'implicit TLS (port 465)' }],
    default: port === 465 ? 'implicit' : 'starttls',
  }, c);
  let lan: string[] = [];
  let listen: string[] = [];
  if (!SEND_ONLY.has(server)) {
    const lanText = await input({ message: 'Office network allowed to send through this server (CIDR):', default: d.lanCidr, validate: (v) => check(() => parseLanCidr(v)) }, c);
    lan = [lanText.trim()];
    const listenText = await input({ message: "This server's LAN address (ADDR or ADDR:PORT) to listen on:", default: d.lanAddress, validate: (v) => check(() => parseListen(v)) }, c);
    listen = [listenText.trim()];
  }
  const hostname = await input({ message: "This gateway's host name (FQDN):", default: d.hostname, validate: (v) => check(() => validateHostname(v)) }, c);
  return { raw: { server, user: user.trim(), smarthost, tls, lan, listen, hostname: hostname.trim() }, password: pw };
}

export async function askConfirm(message: string, c: WizardContext, def = true): Promise<boolean> {
  return confirm({ message, default: def }, c);
}
