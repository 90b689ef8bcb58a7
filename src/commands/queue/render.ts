// mailq-style human output for `omr queue`.
import { renderDefault } from '../../cli/output.js';
import type { RenderStyle } from '../../cli/spec.js';
import { formatDuration } from '../../core/parse.js';
import type { Envelope } from '../../core/result.js';
import type { QueueMessage } from '../../relay/queue-ops.js';
import type { QueueData } from './run.js';

function age(iso: string | null, now: number): string {
  if (!iso) return '-';
  return formatDuration(Math.abs(now - Date.parse(iso)));
}

function stateMark(m: QueueMessage, s: RenderStyle): string {
  const word = m.state.padEnd(8);
  return m.state === 'hold' ? s.yellow(word) : m.state === 'deferred' ? s.cyan(word) : word;
}

/** Lines as they are consumed: 100,000 messages are written in pieces, never held as 200,000 strings. */
export function* renderList(messages: QueueMessage[], s: RenderStyle, now = Date.now()): Generator<string> {
  if (!messages.length) return yield 'Mail queue is empty.';
  yield s.bold(`${'ID'.padEnd(17)} ${'STATE'.padEnd(8)} ${'AGE'.padStart(5)} ${'SIZE'.padStart(8)} TRIES ${'NEXT'.padStart(5)}  SENDER -> RECIPIENTS`);
  let bytes = 0;
  for (const m of messages) {
    bytes += m.size;
    const next = m.state === 'hold' ? '-' : m.nextAttemptAt && Date.parse(m.nextAttemptAt) > now ? age(m.nextAttemptAt, now) : 'now';
    const rcpts = m.recipients.filter((r) => r.status !== 'sent').map((r) => r.address);
    yield `${m.id.padEnd(17)} ${stateMark(m, s)} ${age(m.createdAt, now).padStart(5)} ${String(m.size).padStart(8)} ${String(m.attempts).padStart(5)} ${next.padStart(5)}  ${m.sender || '<>'} -> ${rcpts.join(', ')}${m.client ? s.dim(`  [${m.client}]`) : ''}`;
    if (m.lastReply) yield `${' '.repeat(18)}${s.dim('last reply: ' + m.lastReply)}`;
  }
  yield '';
  yield `-- ${Math.ceil(bytes / 1024)} KiB in ${messages.length} message(s).`;
}

export function renderShow(m: QueueMessage & { headers: string; helo?: string }, s: RenderStyle): string[] {
  const lines = [
    `${s.bold('Queue id:')} ${m.id}   ${s.bold('state:')} ${m.state}   ${s.bold('size:')} ${m.size} bytes`,
    `${s.bold('From:')} ${m.sender || '<>'}   ${s.bold('client:')} ${m.client || 'local'}${m.helo ? ` (${m.helo})` : ''}`,
    `${s.bold('Queued:')} ${m.createdAt}   ${s.bold('attempts:')} ${m.attempts}   ${s.bold('next:')} ${m.nextAttemptAt ?? '-'}`,
    s.bold('Recipients:'),
    ...m.recipients.map((r) => `  ${r.status.padEnd(8)} ${r.address}${r.lastReply ? s.dim('  ' + r.lastReply) : ''}`),
    s.bold('Headers:'),
    ...m.headers.split('\r\n').filter(Boolean).map((h) => '  ' + h),
  ];
  return lines;
}

export function render(env: Envelope<QueueData>, s: RenderStyle): Iterable<string> {
  if (env.data.messages) return renderList(env.data.messages, s);
  if (env.data.message) return renderShow(env.data.message, s);
  const lines = renderDefault(env as Envelope<unknown>, s);
  if (env.data.result && !env.data.relayRunning) lines.splice(lines.length - 1, 0, s.dim('(relay not running: the changes take effect at its next start)'), '');
  return lines;
}
