// Pure parts of the relay benchmark: argument parsing, table maths, generated Postfix config and
// smtp-source command line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchArgs } from '../../bench/lib/args.js';
import { smtpSourceArgs } from '../../bench/lib/load.js';
import { mainCf, masterCf } from '../../bench/lib/postfix.js';
import type { RunResult } from '../../bench/lib/scenario.js';
import { median, renderTable, spread, summarize } from '../../bench/lib/table.js';

function result(relay: 'omr' | 'postfix', acceptRate: number, e2eRate: number, scenario = '1k'): RunResult {
  return { relay, scenario, messages: 100, size: 1024, acceptSec: 1, e2eSec: 1, acceptRate, e2eRate, e2eMiBps: 1, peakRssBytes: 50 * 1048576, peakUpstream: 5, cpuMsPerMsg: 1, problems: 0 };
}

test('median and spread', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(spread([100]), 0);
  assert.equal(spread([90, 100, 110]), 10);
});

test('ratios are taken per repeat pair, then the median', () => {
  const runs = [result('postfix', 100, 50), result('omr', 200, 100), result('postfix', 50, 50), result('omr', 150, 75), result('postfix', 100, 100), result('omr', 120, 300)];
  const { rows, ratios } = summarize(runs);
  assert.equal(rows.length, 2);
  assert.deepEqual(ratios[0]!.acceptRange, [1.2, 3]);
  assert.equal(ratios[0]!.accept, 2);
  assert.equal(ratios[0]!.e2e, 2);
  const lines = renderTable(runs, () => '100 x 1 KiB');
  assert.match(lines.join('\n'), /omr\/postfix\s+2\.00x \(1\.20-3\.00\)/);
});

test('no ratio row without both relays', () => {
  assert.equal(summarize([result('omr', 1, 1)]).ratios.length, 0);
});

test('argument parsing: scenarios, scale, repeat, relays; errors for unknown values', () => {
  const a = parseBenchArgs(['--scenario', '1k,5m', '--scale', '0.01', '--repeat', '3', '--relay', 'omr', '--omr-arg=--x', '--omr-arg', 'y']);
  assert.deepEqual(a.scenarios.map((s) => [s.name, s.messages]), [['1k', 100], ['5m', 2]]);
  assert.equal(a.repeat, 3);
  assert.deepEqual(a.relays, ['omr']);
  assert.deepEqual(a.cfg.omrArgs, ['--x', 'y']);
  assert.equal(a.cfg.sessions, 20);
  assert.equal(a.cfg.upstream, 5);
  assert.throws(() => parseBenchArgs(['--scenario', '2k']), /unknown scenario/);
  assert.throws(() => parseBenchArgs(['--relay', 'exim']), /unknown relay/);
  assert.throws(() => parseBenchArgs(['--repeat', '0']), /positive integer/);
});

test('smtp-source: 20 reused sessions, distinct recipients, loopback target', () => {
  const args = smtpSourceArgs({ messages: 10, size: 1024, sessions: 20 }, 2525);
  assert.deepEqual(args.slice(0, 7), ['-s', '20', '-m', '10', '-l', '1024', '-d']);
  assert.ok(args.includes('-N'));
  assert.equal(args.at(-1), '127.0.0.1:2525');
  assert.ok(!smtpSourceArgs({ messages: 1, size: 1, sessions: 1, newConnectionPerMessage: true }, 1).includes('-d'));
});

test('Postfix satellite config: loopback only, relays to the sink, respects the upstream limit', () => {
  const cf = mainCf({ dir: '/t', sinkPort: 4000, upstream: 5, etc: '/t/etc', queue: '/t/q', data: '/t/d', log: '/t/log' });
  assert.match(cf, /^inet_interfaces = 127\.0\.0\.1$/m);
  assert.match(cf, /^relayhost = \[127\.0\.0\.1\]:4000$/m);
  assert.match(cf, /^smtp_destination_concurrency_limit = 5$/m);
  assert.match(cf, /^smtp_connection_cache_on_demand = no$/m);
  assert.match(cf, /^mydestination =$/m);
  assert.match(cf, /^queue_directory = \/t\/q$/m);
  const master = masterCf(2600);
  assert.match(master, /^127\.0\.0\.1:2600 inet n - n - - smtpd$/m);
  // Nothing chrooted: the private queue dir has no chroot files.
  for (const line of master.trim().split('\n')) assert.equal(line.split(/\s+/)[4], 'n', line);
});
