import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render, whatToDo } from '../../src/commands/test/render.js';
import { makeStyle } from '../../src/cli/style.js';
import { makeEnvelope, type Check } from '../../src/core/result.js';
import type { TestData } from '../../src/probe/run-test.js';

const port = (p: number, completed: boolean) => ({ port: p, tls: 'starttls', completed, failedPhase: completed ? null : 'tcp', connect: completed ? 'connected' : 'filtered', address: '127.0.0.1', timings: {}, banner: null, capabilities: null, tlsProtocol: null, certificateDaysLeft: null, authMechanism: null, dataAckMs: null, queueId: null });

const checks: Check[] = [
  { id: 'dns', status: 'pass', summary: 'h -> 127.0.0.1', durationMs: 1 },
  { id: 'tcp:587', status: 'pass', summary: 'connected', durationMs: 3 },
  { id: 'tcp:25', status: 'fail', summary: 'no answer (filtered)', durationMs: 1000, hint: 'A firewall drops it. See diagnosis:port25-blocked.' },
  { id: 'banner:25', status: 'skip', summary: 'not reached (tcp failed)', detail: { notReached: true } },
  { id: 'diagnosis:port25-blocked', status: 'warn', summary: 'port 25 is filtered while port 587 connects', hint: 'Your ISP blocks outgoing port 25; use port 587.' },
];
const data: TestData = { host: 'h', addresses: ['127.0.0.1'], stopAfter: 'tls', ports: [port(587, true), port(25, false)], connections: null };

test('what to do: working port first, diagnosis next, hints pointing at a fired diagnosis dropped', () => {
  const todo = whatToDo(checks, data.ports);
  assert.deepEqual(todo, ['Port 587 passed every phase: configure the mail program or relay to use it.', 'Your ISP blocks outgoing port 25; use port 587.']);
});

test('human render: ports grouped, unreached phases counted, diagnosis and verdict lines, no colour codes when off', () => {
  const env = makeEnvelope('test', { checks, data, verdict: 'warn' }, new Date(0), new Date(1500));
  const lines = render(env, makeStyle(false));
  const text = lines.join('\n');
  assert.match(text, /^omr test h/);
  assert.match(text, /Port 587 \(STARTTLS\) works/);
  assert.match(text, /Port 25 \(STARTTLS\) failed at tcp/);
  assert.match(text, /1 later phase not reached/);
  assert.match(text, /! warn {2}port25-blocked/);
  assert.match(text, /What to do\n {2}1\. Port 587/);
  assert.match(text, /omr test: WARN/);
  assert.equal(/\x1b\[/.test(text), false);
  assert.match(render(env, makeStyle(true)).join('\n'), /\x1b\[/);
});
