import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseHostPort, parsePortList, parseSize, formatSize, formatHostPort } from '../../src/core/parse.js';
import { parseRateList } from '../../src/core/rate.js';

test('host:port forms, IPv6 in brackets, default port', () => {
  assert.deepEqual(parseHostPort('omr.tzo.com', 587), { host: 'omr.tzo.com', port: 587 });
  assert.deepEqual(parseHostPort('omr.tzo.com:465'), { host: 'omr.tzo.com', port: 465 });
  assert.deepEqual(parseHostPort('[::1]:2525'), { host: '::1', port: 2525 });
  assert.deepEqual(parseHostPort('::1', 25), { host: '::1', port: 25 });
  assert.equal(formatHostPort({ host: '::1', port: 25 }), '[::1]:25');
  assert.throws(() => parseHostPort('host:99999'), /out of range/);
  assert.throws(() => parseHostPort('bad host:25'), /not a valid host/);
  assert.throws(() => parseHostPort('host'), /has no port/);
});

test('port lists dedupe and reject junk', () => {
  assert.deepEqual(parsePortList('587, 25,587'), [587, 25]);
  assert.throws(() => parsePortList('25,abc'), /"abc" is not a port/);
});

test('durations and sizes', () => {
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('15'), 15_000);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('10 parsecs'), /not a duration/);
  assert.equal(parseSize('25MiB'), 25 * 1024 * 1024);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.throws(() => parseSize('lots'), /not a size/);
  assert.equal(formatSize(20 * 1024 * 1024), '20MiB');
  assert.equal(formatSize(1000), '1000');
});

test('rate lists', () => {
  const r = parseRateList('60/min, 600/hour');
  assert.deepEqual(r.map((x) => [x.count, x.windowMs]), [[60, 60_000], [600, 3_600_000]]);
  assert.deepEqual(parseRateList('off'), []);
  assert.throws(() => parseRateList('60 per minute'), /not a rate/);
});
