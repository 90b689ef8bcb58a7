// Where the smarthost password comes from: OMR_PASSWORD, --password-file (first line, refused
// when group/other can read it, as ssh refuses loose key files), or a prompt on a TTY.
// There is deliberately no --password flag: argv is visible to every local user via ps.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './errors.js';

export interface PasswordSource {
  passwordFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Called only when no other source exists and stdin is a TTY. */
  prompt?: (question: string) => Promise<string>;
  /** Skip the permission check (e.g. Windows, where modes mean nothing). */
  skipModeCheck?: boolean;
  /** Name used in messages, e.g. the account. */
  user?: string;
}

export function readPasswordFile(path: string, skipModeCheck = process.platform === 'win32'): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`--password-file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'Check the path; the file holds the password on its first line.');
  }
  if (!st.isFile()) throw new UsageError(`--password-file ${path}: not a regular file`);
  if (!skipModeCheck && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new UsageError(
      `--password-file ${path}: permissions ${mode} are too open; the file must not be readable by group or others`,
      `Run: chmod 600 ${path}`,
      'EPERMS',
    );
  }
  const text = readFileSync(path, 'utf8');
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (first === '') throw new UsageError(`--password-file ${path}: the first line is empty`);
  return first;
}

/** Returns the password, or undefined when none is configured and prompting is impossible. */
export async function resolvePassword(src: PasswordSource): Promise<string | undefined> {
  if (src.passwordFile) return readPasswordFile(src.passwordFile, src.skipModeCheck);
  const env = src.env ?? process.env;
  if (env.OMR_PASSWORD !== undefined && env.OMR_PASSWORD !== '') return env.OMR_PASSWORD;
  if (src.prompt && process.stdin.isTTY) return src.prompt(`Password${src.user ? ` for ${src.user}` : ''}: `);
  return undefined;
}

/** Like resolvePassword but a missing password is a usage error (exit 2). */
export async function requirePassword(src: PasswordSource): Promise<string> {
  const pw = await resolvePassword(src);
  if (pw === undefined)
    throw new UsageError(
      `no password for ${src.user ?? 'the smarthost account'}: set OMR_PASSWORD or use --password-file FILE`,
      'The password is never taken on the command line; put it in a file with mode 0600.',
      'ENOPASSWORD',
    );
  return pw;
}

/** Redact a secret wherever it appears inside a string (for transcripts and error texts). */
export function redactSecret(text: string, ...secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    out = out.split(s).join('[redacted]');
    const b64 = Buffer.from(s).toString('base64');
    if (b64.length >= 4) out = out.split(b64).join('[redacted]');
  }
  return out;
}
