import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeStyle } from '../../src/cli/style.js';
import { formatEvent, formatStats } from '../../src/commands/simulate/render.js';
import { parseDelay } from '../../src/commands/simulate/spec.js';
import { resolveOptions } from '../../src/commands/simulate/options.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { Accounting } from '../../src/simulator/accounting.js';
import { parseAccounts } from '../../src/simulator/accounts.js';
import { isLoopback, parseFault } from '../../src/simulator/status.js';

describe('simulate option parsing', () => {
  it('parseDelay reads STAGE:MS[:COUNT] and refuses unknown stages', () => {
    assert.deepEqual(parseDelay('data:30000'), { stage: 'data', ms: 30000, count: Infinity });
    assert.deepEqual(parseDelay('greeting:5s:2'), { stage: 'greeting', ms: 5000, count: 2 });
    assert.throws(() => parseDelay('helo:10'), /stage must be one of/);
    assert.throws(() => parseDelay('data'), /STAGE:MS/);
  });

  it('parseAccounts splits at the first colon and reports bad lines with numbers', () => {
    assert.deepEqual(parseAccounts('# c\n\na@x:p:w\nb@x:q\n'), [
      { user: 'a@x', password: 'p:w' },
      { user: 'b@x', password: 'q' },
    ]);
    assert.throws(
      () => parseAccounts('a@x:p\nnocolon\na@x:again\n', 'acc.txt'),
      (e: ConfigError) => e instanceof ConfigError && e.problems.map((p) => p.line).join() === '2,3',
    );
    assert.throws(() => parseAccounts('# only comments\n'), ConfigError);
  });

  it('resolveOptions builds faults from flags and requires an account', async () => {
    const r = await resolveOptions({ user: 'u', greeting421: 2, failAuth: true, delayReply: [{ stage: 'data', ms: 10, count: Infinity }], listen: { host: '127.0.0.1', port: 0 } }, { OMR_PASSWORD: 'pw' });
    assert.deepEqual(r.sim.accounts, [{ user: 'u', password: 'pw' }]);
    assert.deepEqual(r.sim.faults, [
      { kind: 'greeting421', count: 2 },
      { kind: 'authFail', count: Infinity },
      { kind: 'delayReply', stage: 'data', ms: 10, count: Infinity },
    ]);
    assert.equal(r.sim.requireTls, true);
    await assert.rejects(resolveOptions({}, {}), UsageError);
    await assert.rejects(resolveOptions({ user: 'u' }, {}), /OMR_PASSWORD/);
    await assert.rejects(resolveOptions({ user: 'u', reject: '(' }, { OMR_PASSWORD: 'x' }), /--reject/);
    await assert.rejects(resolveOptions({ user: 'u', tlsCert: 'c.pem' }, { OMR_PASSWORD: 'x' }), /go together/);
  });

  it('parseFault validates JSON faults for the status endpoint', () => {
    assert.deepEqual(parseFault({ kind: 'data421', count: 'Infinity' }), { kind: 'data421', count: Infinity });
    assert.deepEqual(parseFault({ kind: 'delayReply', stage: 'rcpt', ms: 5 }), { kind: 'delayReply', stage: 'rcpt', ms: 5, count: undefined });
    assert.throws(() => parseFault({ kind: 'x' }), /kind must be/);
    assert.throws(() => parseFault({ kind: 'delayReply', stage: 'nope', ms: 1 }), /stage/);
    assert.throws(() => parseFault({ kind: 'mail421', count: -1 }), /count/);
  });

  it('isLoopback accepts 127/8, ::1 and localhost only', () => {
    assert.ok(isLoopback('127.0.0.2') && isLoopback('::1') && isLoopback('localhost'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.1') && !isLoopback('::'));
  });
});

describe('simulate rendering', () => {
  const plain = makeStyle(false);
  it('formats one line per event with the reply and reason of a rejection', () => {
    const line = formatEvent({ time: '2026-01-01T12:00:01.123Z', type: 'rejected', session: 'abcdefghij', code: 421, reply: '421 4.7.0 Too many connections for this account, try again later', reason: 'connection-limit' }, plain);
    assert.equal(line, '12:00:01.123 abcdefgh rejected 421 4.7.0 Too many connections for this account, try again later [connection-limit]');
    assert.match(formatEvent({ time: '2026-01-01T12:00:01.123Z', type: 'rejected', session: 's', reason: 'x', reply: 'r' }, makeStyle(true)), /\x1b\[31m/);
  });

  it('formats the counters', () => {
    const a = new Accounting({ maxConnections: 5, maxTotalConnections: Infinity });
    a.connect();
    a.login('u');
    a.reserve('u');
    a.commit('u', 100);
    a.reject('quota-hour');
    const lines = formatStats(a.stats(), plain);
    assert.match(lines[0]!, /peak 1.*peak per account: u 1/);
    assert.match(lines[1]!, /1 accepted \(100 bytes\), 1 refused \(quota-hour 1\)/);
  });
});
