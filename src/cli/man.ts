// Man pages generated from the same CommandSpec tree as --help, so they cannot drift.
// One page per top-level command (subcommands as sections), omr(1) and omr.conf(5).
import { GLOBAL_OPTIONS, describeOption } from './build.js';
import type { CommandSpec, OptionSpec } from './spec.js';
import { RELAY_KEYS, envName } from '../config/relay-keys.js';
import { describeType } from '../config/schema.js';

/** Escape text for roff: backslashes, hyphens, and a leading dot or quote. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? '\\&' + l : l))
    .join('\n');
}

function th(name: string, section: number, version: string): string {
  return `.TH ${name.toUpperCase()} ${section} "" "omr-cli ${version}" "omr-cli manual"\n`;
}

function para(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `.PP\n${roff(p.trim())}\n`)
    .join('');
}

function optionItem(o: OptionSpec): string {
  const flags = o.flags.split(/,\s*/).map((f) => {
    const [flag, ...val] = f.split(' ');
    return `\\fB${roff(flag!)}\\fR${val.length ? ' \\fI' + roff(val.join(' ').replace(/[<>[\]]/g, '')) + '\\fR' : ''}`;
  });
  return `.TP\n${flags.join(', ')}\n${roff(describeOption(o))}${o.choices ? roff(` One of: ${o.choices.join(', ')}.`) : ''}\n`;
}

function usage(path: string[], spec: CommandSpec): string {
  const args = (spec.args ?? []).map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}${a.variadic ? '...' : ''}]`));
  return `\\fB${roff(path.join(' '))}\\fR ${roff(['[options]', ...args].join(' '))}\n`;
}

function leaves(spec: CommandSpec, path: string[]): Array<{ spec: CommandSpec; path: string[] }> {
  const here = [...path, spec.name];
  if (spec.subcommands?.length) return spec.subcommands.flatMap((s) => leaves(s, here));
  return [{ spec, path: here }];
}

function examplesSection(all: Array<{ spec: CommandSpec }>): string {
  const ex = all.flatMap((l) => l.spec.examples ?? []);
  if (!ex.length) return '';
  return '.SH EXAMPLES\n' + ex.map((e) => `.TP\n\\fB${roff(e.command)}\\fR\n${roff(e.description)}\n`).join('');
}

const EXIT_STATUS = `.SH EXIT STATUS
.TP
.B 0
ran and passed (warnings allowed unless \\fB\\-\\-strict\\fR)
.TP
.B 1
ran and found a failure (a check failed, the gateway is exposed, a message was refused)
.TP
.B 2
usage or configuration error (unknown flag, invalid value, invalid config key, missing credential)
.TP
.B 70
internal error (a bug; \\fB\\-\\-verbose\\fR prints the stack trace)
`;

export function commandPage(spec: CommandSpec, version: string): string {
  const page = spec.manPage ?? `omr-${spec.name}`;
  const all = leaves(spec, ['omr']);
  let out = th(page, 1, version);
  out += `.SH NAME\n${roff(page)} \\- ${roff(spec.summary)}\n.SH SYNOPSIS\n`;
  out += all.map((l) => usage(l.path, l.spec)).join('.br\n');
  out += '.SH DESCRIPTION\n' + para(spec.description ?? spec.summary);
  for (const l of all) {
    if (all.length > 1 || l.spec !== spec) out += `.SS ${roff(l.path.join(' '))}\n` + para(l.spec.description ?? l.spec.summary);
    for (const a of l.spec.args ?? []) out += `.TP\n\\fI${roff(a.name.toUpperCase())}\\fR\n${roff(a.description)}\n`;
    if (l.spec.options?.length) out += (all.length > 1 ? `.PP\nOptions of \\fB${roff(l.path.join(' '))}\\fR:\n` : '.SH OPTIONS\n') + l.spec.options.filter((o) => !o.hidden).map(optionItem).join('');
  }
  for (const [title, text] of Object.entries(spec.manSections ?? {})) out += `.SH ${roff(title.toUpperCase())}\n` + para(text);
  out += '.SH GLOBAL OPTIONS\n' + GLOBAL_OPTIONS.map(optionItem).join('');
  out += examplesSection(all);
  out += EXIT_STATUS;
  out += `.SH SEE ALSO\n.BR omr (1)\n`;
  return out;
}

export function mainPage(specs: readonly CommandSpec[], version: string): string {
  let out = th('omr', 1, version);
  out += '.SH NAME\nomr, omr\\-cli \\- toolkit for offices that send mail through an authenticated smarthost such as TZO OMR\n';
  out += '.SH SYNOPSIS\n.B omr\n\\fICOMMAND\\fR [options]\n.br\n.B omr help\n\\fICOMMAND\\fR\n.br\n.B omr \\-\\-version\n';
  out += para(
    'omr-cli keeps an office\'s outbound mail flowing through an authenticated smarthost. Its LAN relay queues mail and forwards it within the smarthost\'s connection and quota limits; its tester diagnoses connectivity; its exposure checker proves the gateway is not reachable from the Internet; its generators write SmartHost settings for common mail servers; its simulator stands in for OMR in rehearsals and tests.',
  ).replace('.PP', '.SH DESCRIPTION');
  out += '.SH COMMANDS\n' + specs.map((s) => `.TP\n.B omr ${roff(s.name)}\n${roff(s.summary)} See \\fB${roff(s.manPage ?? `omr-${s.name}`)}\\fR(1).\n`).join('');
  out += '.SH GLOBAL OPTIONS\n' + GLOBAL_OPTIONS.map(optionItem).join('');
  out += '.SH JSON OUTPUT\n' + para('With --json every command prints exactly one JSON document on stdout: {schemaVersion, command, ok, verdict, startedAt, durationMs, checks: [{id, status, durationMs, summary, detail, hint}], data}. ok is false exactly when the exit status is 1 or 2. Progress and logs go to stderr.');
  out += '.SH ENVIRONMENT\n';
  out += '.TP\n.B OMR_PASSWORD\nThe smarthost password (there is no password flag; see also \\fB\\-\\-password\\-file\\fR).\n';
  out += '.TP\n.B OMR_CONFIG\nThe relay config file when \\fB\\-\\-config\\fR is not given.\n';
  out += '.TP\n.B OMR_\\fIKEY\\fR\nAny relay setting, e.g. OMR_MAX_CONNECTIONS; see \\fBomr.conf\\fR(5).\n';
  out += '.TP\n.B NO_COLOR\\fR, \\fBFORCE_COLOR\nTurn colour off or force it on.\n';
  out += EXIT_STATUS;
  out += '.SH SEE ALSO\n' + [...specs.map((s) => `.BR ${s.manPage ?? `omr-${s.name}`} (1),`), '.BR omr.conf (5)'].join('\n') + '\n';
  return out;
}

export function confPage(version: string): string {
  let out = th('omr.conf', 5, version);
  out += '.SH NAME\nomr.conf \\- configuration file of the omr LAN relay\n';
  out += '.SH SYNOPSIS\n.B omr relay start \\-\\-config\n\\fIFILE\\fR\n';
  out += para(
    'The relay reads one YAML file: a mapping of key: value lines; comments start with #. Every key can also be given as the flag --KEY of omr relay start and as the environment variable OMR_KEY (upper case, dashes as underscores). Precedence: flag, then environment, then file, then the default. Unknown keys and bad values are errors naming the key and its line; omr config check FILE reports all of them at once.',
  ).replace('.PP', '.SH DESCRIPTION');
  out += '.SH KEYS\n';
  for (const k of RELAY_KEYS) {
    const def = k.defaultText ?? (k.default !== undefined ? JSON.stringify(k.default) : 'unset');
    out += `.TP\n\\fB${roff(k.key)}\\fR: \\fI${roff(describeType(k))}\\fR\n${roff(k.description)}\n.br\nDefault: ${roff(def)}. Flag: \\fB\\-\\-${roff(k.key)}\\fR. Environment: \\fB${roff(envName(k.key))}\\fR.\n`;
  }
  out += '.SH EXAMPLE\n.nf\n' + roff(EXAMPLE_CONF) + '\n.fi\n';
  out += '.SH SEE ALSO\n.BR omr\\-relay (1),\n.BR omr\\-config (1)\n';
  return out;
}

export const EXAMPLE_CONF = `# /etc/omr/relay.yaml
listen:
  - 192.168.1.10:25
allow:
  - 192.168.1.0/24
smarthost: omr.tzo.com:587
user: office@example.com
password-file: /etc/omr/password   # chmod 600
spool: /var/spool/omr
max-connections: 5
quota-hour: 450`;

/** All pages: file name -> content. */
export function allPages(specs: readonly CommandSpec[], version: string): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set('omr.1', mainPage(specs, version));
  for (const s of specs) pages.set(`${s.manPage ?? `omr-${s.name}`}.1`, commandPage(s, version));
  pages.set('omr.conf.5', confPage(version));
  return pages;
}
