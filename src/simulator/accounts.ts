// Accounts file for `omr simulate --accounts FILE`: one `USER:PASSWORD` per line (the first colon
// separates them), blank lines and `#` comments ignored. It holds passwords, so like
// --password-file it must not be readable by group or others.
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import type { Account } from './types.js';

export function parseAccounts(text: string, file = 'accounts'): Account[] {
  const accounts: Account[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = line.indexOf(':');
    const where = { file, line: i + 1, severity: 'error' as const };
    if (at <= 0 || at === line.length - 1) return void problems.push({ ...where, key: 'account', message: 'expected USER:PASSWORD' });
    const user = line.slice(0, at);
    if (seen.has(user)) return void problems.push({ ...where, key: 'account', message: `user ${user} appears twice` });
    seen.add(user);
    accounts.push({ user, password: raw.trimStart().slice(at + 1) });
  });
  if (problems.length) throw new ConfigError(problems, 'Write one USER:PASSWORD per line.');
  if (!accounts.length) throw new ConfigError([{ file, key: 'account', message: 'no accounts in the file', severity: 'error' }]);
  return accounts;
}

export function readAccountsFile(path: string, skipModeCheck = process.platform === 'win32'): Account[] {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new ConfigError([{ file: path, key: '--accounts', message: `cannot read it (${(e as NodeJS.ErrnoException).code})`, severity: 'error' }]);
  }
  if (!skipModeCheck && (mode & 0o077) !== 0)
    throw new ConfigError([{ file: path, key: '--accounts', message: `permissions ${(mode & 0o777).toString(8)} are too open (it holds passwords)`, severity: 'error' }], `Run: chmod 600 ${path}`);
  return parseAccounts(readFileSync(path, 'utf8'), path);
}
