// Colour decisions and the RenderStyle handed to renderers. Colour only when stderr is a TTY,
// --json is off, and neither --no-color nor NO_COLOR says otherwise; FORCE_COLOR forces it.
import { Chalk } from 'chalk';
import type { RenderStyle } from './spec.js';

export function colorEnabled(opts: { json: boolean; noColor: boolean; env: NodeJS.ProcessEnv; isTTY: boolean }): boolean {
  if (opts.json || opts.noColor) return false;
  const force = opts.env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (opts.env.NO_COLOR !== undefined && opts.env.NO_COLOR !== '') return false;
  if (opts.env.TERM === 'dumb') return false;
  return opts.isTTY;
}

export function makeStyle(color: boolean): RenderStyle {
  const c = new Chalk({ level: color ? 2 : 0 });
  const marks = { pass: c.green('✔ pass'), warn: c.yellow('! warn'), fail: c.red('✖ fail'), skip: c.dim('- skip') };
  return {
    color,
    bold: (s) => c.bold(s),
    dim: (s) => c.dim(s),
    green: (s) => c.green(s),
    yellow: (s) => c.yellow(s),
    red: (s) => c.red(s),
    cyan: (s) => c.cyan(s),
    status: (st) => marks[st],
  };
}
