// Human report: the verdict line first, then why, what to do, and the checks behind it.
import type { RenderStyle } from '../../cli/spec.js';
import { renderChecks } from '../../cli/output.js';
import type { Envelope } from '../../core/result.js';
import { HAIRPIN_NOTE, type InsideData } from '../../exposure/inside-check.js';
import type { OutsideData } from '../../exposure/outside-check.js';

type Data = OutsideData | InsideData;

const HEADLINES: Record<OutsideData['exposure'], string> = {
  'not-reachable': 'not reachable: no SMTP port accepted a connection',
  'reachable-auth-required': 'EXPOSED: an SMTP service answers from outside (it requires authentication)',
  'reachable-relay-refused': 'EXPOSED: an SMTP service answers from outside (it refused to relay)',
  'open-relay': 'OPEN RELAY: the service answers from outside and accepts mail for foreign domains',
  inconclusive: 'INCONCLUSIVE: something answers, but the test could not finish',
};

export function headline(env: Envelope<Data>): string {
  const d = env.data;
  if (d.mode === 'inside') {
    if (env.verdict === 'fail') return 'EXPOSED (inside view): this host or its router opens an SMTP port to the Internet';
    if (env.verdict === 'warn') return 'nothing is forwarded, with warnings (inside view; prove it from outside)';
    return 'nothing on this host or its router opens an SMTP port (inside view; prove it from outside)';
  }
  const where = d.address && d.address !== d.target ? `${d.target} (${d.address})` : d.target;
  if (!d.address) return `${d.target}: not tested (cannot resolve)`;
  return `${where}: ${HEADLINES[d.exposure]}${d.fromHereOnly ? ' — from here only (not a public address)' : ''}`;
}

function bullets(title: string, items: string[], s: RenderStyle): string[] {
  return items.length ? ['', s.bold(title), ...items.map((i) => `  • ${i}`)] : [];
}

export function render(env: Envelope<Data>, s: RenderStyle): string[] {
  const word = env.verdict === 'pass' ? s.green('PASS') : env.verdict === 'warn' ? s.yellow('WARN') : s.red('FAIL');
  const lines = [`${word}  ${s.bold(headline(env))}`];
  const d = env.data;
  lines.push(...bullets('Why:', d.reasons, s));
  lines.push(...bullets('Fix:', d.fixes, s));
  if (d.mode === 'inside') {
    lines.push('', s.bold('What this cannot prove:'), `  ${HAIRPIN_NOTE}`, `  From a network outside the office (a CI job, a phone hotspot) run:`, `    ${s.cyan(d.outsideCommand)}`);
    if (d.upnp?.mappings.length) {
      lines.push('', s.bold('UPnP port mappings:'));
      for (const m of d.upnp.mappings) {
        const line = `  ${m.protocol} ${m.externalPort} -> ${m.internalClient}:${m.internalPort}  ${m.description}${m.leaseSeconds ? ` (lease ${m.leaseSeconds}s)` : ''}`;
        lines.push(m.smtp ? s.red(`${line}  <- SMTP`) : line);
      }
    }
  }
  lines.push('', s.bold('Checks:'), ...renderChecks(env, s).map((l) => `  ${l}`));
  return lines;
}
