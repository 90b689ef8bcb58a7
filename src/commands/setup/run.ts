// omr setup: defaults from the machine -> answers (prompts or --answers) -> plan -> confirm ->
// write (temp + rename, all at the end) -> steps -> optional omr test / check-exposure.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { resolvePassword } from '../../core/secrets.js';
import type { Check, CommandResult } from '../../core/result.js';
import type { CommandContext } from '../../cli/spec.js';
import { buildAnswers, type RawAnswers } from '../../smarthost/answers.js';
import { generateAndApply, type GenerateData } from '../../smarthost/apply.js';
import { guessHostname, guessLan } from '../../smarthost/defaults.js';
import { detectMta } from '../../smarthost/detect.js';
import { generate, NO_PASSWORD } from '../../smarthost/index.js';
import { planFiles } from '../../smarthost/writer.js';
import type { Answers } from '../../smarthost/types.js';
import { readAnswersFile } from './answers-file.js';
import { clientInstructions, planLines } from './render.js';
import { askAnswers, askConfirm, type WizardContext } from './wizard.js';

export { render } from './render.js';

export interface SetupData extends GenerateData {
  answers: Omit<Answers, 'password'>;
  clients: string[];
  followUps: Array<{ command: string; exitCode: number | null }>;
  cancelled?: boolean;
}

const OMR_BIN = fileURLToPath(new URL('../../../../bin/omr.js', import.meta.url));

function isCancel(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError' || e.name === 'CancelPromptError');
}

/** Runs another omr command (omr test, omr check-exposure) with its output on stderr. */
function runOmr(args: string[], env: NodeJS.ProcessEnv, ctx: CommandContext): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [OMR_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: dirname(OMR_BIN) });
    child.stdout.on('data', (b: Buffer) => ctx.stderr.write(b));
    child.stderr.on('data', (b: Buffer) => ctx.stderr.write(b));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
}

interface Collected {
  raw: RawAnswers;
  password?: string;
  runTest?: boolean;
  checkExposure?: boolean;
}

async function collect(ctx: CommandContext, opts: Record<string, unknown>, wc: WizardContext): Promise<Collected> {
  if (opts.answers) {
    const f = readAnswersFile(opts.answers as string);
    const pwFile = (opts.passwordFile as string | undefined) ?? f.passwordFile;
    const password = NO_PASSWORD.has(f.raw.server as never) ? undefined : await resolvePassword({ passwordFile: pwFile, env: ctx.env });
    return { raw: { ...f.raw, ca: (opts.ca as string | undefined) ?? f.raw.ca }, password, runTest: f.runTest, checkExposure: f.checkExposure };
  }
  if (!process.stdin.isTTY || ctx.json) throw new UsageError('omr setup asks questions and needs a terminal', 'Replay saved answers with --answers FILE, or use omr config generate SERVER.');
  const detected = await detectMta();
  const lan = guessLan();
  const known = await resolvePassword({ passwordFile: opts.passwordFile as string | undefined, env: ctx.env });
  const { raw, password } = await askAnswers(
    { server: detected?.server, lanCidr: lan?.cidr, lanAddress: lan?.address, hostname: guessHostname(), havePassword: known !== undefined },
    wc,
  );
  return { raw: { ...raw, ca: opts.ca as string | undefined }, password: password ?? known };
}

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<CommandResult<SetupData>> {
  const wc: WizardContext = { input: process.stdin, output: ctx.stderr, signal: ctx.signal };
  const interactive = !opts.answers;
  const out = opts.out as string | undefined;
  let c: Collected;
  try {
    c = await collect(ctx, opts, wc);
  } catch (e) {
    if (isCancel(e)) throw new UsageError('setup cancelled; nothing was written', undefined, 'ECANCELLED');
    throw e;
  }
  const answers = buildAnswers(c.raw);
  if (!NO_PASSWORD.has(answers.server) && c.password === undefined)
    throw new UsageError(`no password for ${answers.user}: set OMR_PASSWORD or password-file`, undefined, 'ENOPASSWORD');
  answers.password = c.password;
  const preview = planFiles(generate(answers).files, { out });
  if (interactive) {
    for (const l of planLines(answers, preview, out)) ctx.stderr.write(l + '\n');
    let go: boolean;
    try {
      go = await askConfirm(opts.dryRun ? 'Show the diff (nothing is written)?' : 'Write these files now?', wc);
    } catch (e) {
      if (isCancel(e)) throw new UsageError('setup cancelled; nothing was written', undefined, 'ECANCELLED');
      throw e;
    }
    if (!go) throw new UsageError('setup cancelled; nothing was written', undefined, 'ECANCELLED');
  }
  const outcome = await generateAndApply(answers, { out, dryRun: opts.dryRun === true });
  const checks: Check[] = outcome.checks;
  const followUps: SetupData['followUps'] = [];
  const env = { ...ctx.env, ...(answers.password ? { OMR_PASSWORD: answers.password } : {}) };
  const sh = answers.smarthost;
  const testArgs = ['test', sh.host, '--port', String(sh.port), '--user', answers.user, '--tls', answers.tls, ...(answers.ca ? ['--ca', answers.ca] : [])];
  const wantTest = interactive && !opts.dryRun ? await askConfirm(`Run omr ${testArgs.join(' ')} now?`, wc).catch(() => false) : c.runTest === true;
  if (wantTest && !NO_PASSWORD.has(answers.server)) {
    const code = await runOmr(testArgs, env, ctx);
    followUps.push({ command: `omr ${testArgs.join(' ')}`, exitCode: code });
    checks.push({ id: 'followup:test', status: code === 0 ? 'pass' : 'warn', summary: `omr test exited ${code}`, hint: code === 0 ? undefined : 'Read its output above; omr test --help explains each check.' });
  }
  const wantExposure = interactive && !opts.dryRun ? await askConfirm('Run omr check-exposure now?', wc).catch(() => false) : c.checkExposure === true;
  if (wantExposure) {
    const code = await runOmr(['check-exposure'], env, ctx);
    followUps.push({ command: 'omr check-exposure', exitCode: code });
    checks.push({ id: 'followup:check-exposure', status: code === 0 ? 'pass' : 'warn', summary: `omr check-exposure exited ${code}` });
  }
  const { password: _pw, ...safe } = answers;
  return { checks, data: { ...outcome.data, answers: safe, clients: clientInstructions(answers), followUps } };
}
