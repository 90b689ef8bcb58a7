import type { RenderStyle } from '../../cli/spec.js';
import type { Envelope } from '../../core/result.js';
import { renderDefault } from '../../cli/output.js';
import type { RelayStartData } from './run.js';

export function render(env: Envelope<RelayStartData>, s: RenderStyle): string[] {
  const q = env.data.queued;
  return [
    ...renderDefault(env as Envelope<unknown>, s).slice(0, -1),
    `  queue: ${q.incoming} incoming, ${q.deferred} deferred, ${q.active} active, ${q.hold} hold  ${s.dim('(omr queue list --spool ' + env.data.spool + ')')}`,
    '',
    ...renderDefault(env as Envelope<unknown>, s).slice(-1),
  ];
}
