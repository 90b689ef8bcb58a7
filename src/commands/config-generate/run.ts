// omr config generate SERVER: flags -> answers -> generate + plan + write/run.
import { resolvePassword } from '../../core/secrets.js';
import { UsageError } from '../../core/errors.js';
import type { CommandResult } from '../../core/result.js';
import type { CommandContext } from '../../cli/spec.js';
import { buildAnswers, parseServer, type RawAnswers } from '../../smarthost/answers.js';
import { generateAndApply, type GenerateData } from '../../smarthost/apply.js';
import { detectMta } from '../../smarthost/detect.js';
import { NO_PASSWORD } from '../../smarthost/index.js';

export { render } from './render.js';

export function rawFromOpts(server: string, opts: Record<string, unknown>): RawAnswers {
  return {
    server,
    user: opts.user as string | undefined,
    smarthost: opts.smarthost as string | undefined,
    tls: opts.tls as string | undefined,
    ca: opts.ca as string | undefined,
    lan: opts.lan as string[] | undefined,
    listen: opts.listen as string[] | undefined,
    hostname: opts.hostname as string | undefined,
    maxConnections: opts.maxConnections as number | undefined,
    fingerprint: opts.fingerprint as string | undefined,
    eximSplit: opts.eximSplit as boolean | undefined,
  };
}

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<GenerateData & { detected?: unknown }>> {
  let server = args[0] ?? '';
  let detected;
  if (server === 'auto') {
    detected = await detectMta();
    if (!detected) throw new UsageError('no supported MTA found on this machine (tried postconf, exim4, smtpd, sendmail, nullmailer, dma, msmtp)', 'Name the server: omr config generate postfix ...');
    server = detected.server;
    ctx.note(`Detected ${server}${detected.version ? ` ${detected.version}` : ''} (${detected.evidence})`);
  }
  const raw = rawFromOpts(parseServer(server), opts);
  const answers = buildAnswers(raw);
  if (!NO_PASSWORD.has(answers.server)) {
    const pw = await resolvePassword({ passwordFile: opts.passwordFile as string | undefined, env: ctx.env, prompt: ctx.promptSecret, user: answers.user });
    if (pw === undefined)
      throw new UsageError(`no password for ${answers.user}: set OMR_PASSWORD or use --password-file FILE`, `${answers.server} stores the password in its credential file.`, 'ENOPASSWORD');
    answers.password = pw;
  }
  const outcome = await generateAndApply(answers, { out: opts.out as string | undefined, dryRun: opts.dryRun === true });
  if (detected) outcome.checks.unshift({ id: 'mta:detected', status: 'pass', summary: `${detected.server} ${detected.version ?? ''} found (${detected.evidence})`.replace('  ', ' ') });
  return { checks: outcome.checks, data: { ...outcome.data, ...(detected ? { detected } : {}) } };
}
