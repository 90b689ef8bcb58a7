// Human output of omr setup: the plan shown before writing, the result, and what to enter in
// the mail programs on the office PCs.
import type { Envelope } from '../../core/result.js';
import type { RenderStyle } from '../../cli/spec.js';
import { renderChecks, verdictLine } from '../../cli/output.js';
import type { PlannedFile } from '../../smarthost/writer.js';
import type { Answers } from '../../smarthost/types.js';
import { renderFiles } from '../config-generate/render.js';
import type { SetupData } from './run.js';
import { SEND_ONLY } from './wizard.js';

export function planLines(a: Answers, plan: PlannedFile[], out?: string): string[] {
  const lines = ['', `Plan for ${a.server}: relay through ${a.smarthost.host}:${a.smarthost.port} (${a.tls}) as ${a.user}${out ? `, written under ${out}` : ''}`];
  for (const p of plan) lines.push(`  ${p.changed ? (p.before === null ? 'create' : 'update') : 'keep  '}  ${p.mode.toString(8).padStart(4, '0')}  ${p.target}${p.secret ? '  [secret]' : ''}`);
  if (a.lan.length) lines.push(`  relay allowed for: 127.0.0.0/8, ${a.lan.join(', ')}`);
  lines.push('');
  return lines;
}

export function clientInstructions(a: Answers): string[] {
  if (SEND_ONLY.has(a.server)) return [`${a.server} only sends this machine's own mail: office PCs keep their current outgoing server.`];
  const lanEp = a.listen.find((e) => !e.host.startsWith('127.') && e.host !== '::1');
  const host = lanEp?.host ?? "this gateway's LAN address";
  const port = lanEp?.port ?? 25;
  return [
    `Outlook: File > Account Settings > (account) > Change > More Settings: Outgoing server (SMTP) ${host}, port ${port}; Outgoing Server tab: "My outgoing server requires authentication" unticked; Advanced: encryption None.`,
    `Thunderbird: Account Settings > Outgoing Server (SMTP) > Add: Server Name ${host}, Port ${port}, Connection security None, Authentication method No authentication; then choose it for the account.`,
    'The OMR password stays on the gateway; only PCs in the office network can send through it.',
  ];
}

export function render(env: Envelope<SetupData>, s: RenderStyle): string[] {
  if (!env.data || !Array.isArray(env.data.files)) return [verdictLine(env as Envelope<unknown>, s)];
  const lines = [...renderFiles(env.data, s), ''];
  lines.push(s.bold('Office PCs:'), ...env.data.clients.map((c) => `  ${c}`), '');
  return [...lines, ...renderChecks(env as Envelope<unknown>, s), '', verdictLine(env as Envelope<unknown>, s)];
}
