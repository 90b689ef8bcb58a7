import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { resolveRelayConfig } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';

test('every mistake in a file is reported with its line', () => {
  const text = ['# relay', 'listen: 0.0.0.0:2525', 'max-conections: 3', 'smarthost: omr.tzo.com:99999', 'allow:', '  - 192.168.1.0/24', '  - 10.0.0.300/8', ''].join('\n');
  const r = parseConfigText(text, 'relay.yaml');
  const errs = r.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(errs.map((p) => [p.key, p.line]), [['max-conections', 3], ['smarthost', 4], ['allow[1]', 7]]);
  assert.match(errs[0]!.message, /did you mean "max-connections"/);
  assert.match(errs[2]!.message, /10\.0\.0\.300\/8/);
  assert.deepEqual(r.values.listen, [{ host: '0.0.0.0', port: 2525 }]);
});

test('YAML syntax errors and duplicate keys carry lines', () => {
  const r = parseConfigText('spool: /a\nspool: /b\n', 'x.yaml');
  assert.equal(r.problems[0]!.line, 2);
  const s = parseConfigText('listen: [1.2.3.4:25\n', 'x.yaml');
  assert.ok(s.problems.length > 0 && s.problems[0]!.severity === 'error');
});

test('typed YAML values are accepted and checked', () => {
  const r = parseConfigText('max-connections: 3\nallow-public-clients: false\ndedupe-window: 0\nmax-message-size: 10MiB\ncommand-timeout: 30\n', 'x.yaml');
  assert.deepEqual(r.problems, []);
  assert.equal(r.values['max-connections'], 3);
  assert.equal(r.values['max-message-size'], 10 * 1024 * 1024);
  assert.equal(r.values['command-timeout'], 30_000);
  const bad = parseConfigText('max-connections: true\nmax-recipients: 10\n', 'x.yaml');
  assert.deepEqual(bad.problems.map((p) => p.line), [1, 2]);
});

test('precedence is flag > env > file > default', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'relay.yaml');
    writeFileSync(file, 'max-connections: 2\nspool: /from/file\nquota-hour: 100\n');
    const r = resolveRelayConfig({ file, env: { OMR_MAX_CONNECTIONS: '3', OMR_QUOTA_HOUR: '50' }, flags: { maxConnections: 4 } });
    assert.equal(r.config.maxConnections, 4);
    assert.equal(r.origins['max-connections'], 'flag');
    assert.equal(r.config.quotaHour, 50);
    assert.equal(r.origins['quota-hour'], 'env');
    assert.equal(r.config.spool, '/from/file');
    assert.equal(r.config.retryFirst, 60_000);
    assert.equal(r.origins['retry-first'], 'default');
    assert.equal(r.config.tls, 'starttls');
  } finally {
    dir.cleanup();
  }
});

test('implicit TLS is the default on port 465; env errors name the variable', () => {
  assert.equal(resolveRelayConfig({ env: {}, flags: { smarthost: { host: 'h', port: 465 } } }).config.tls, 'implicit');
  assert.throws(
    () => resolveRelayConfig({ env: { OMR_MAX_CONNECTIONS: 'five', OMR_ALLOW: '10.0.0.0/8,nonsense' } }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 2 && e.problems.every((p) => p.key.startsWith('OMR_')),
  );
});

test('rules: warnings for OMR limits, errors for a non-loopback metrics address', () => {
  const r = resolveRelayConfig({ env: { OMR_MAX_CONNECTIONS: '8' } });
  assert.ok(r.warnings.some((w) => w.key === 'max-connections'));
  assert.throws(() => resolveRelayConfig({ env: { OMR_METRICS: '0.0.0.0:9100' } }), /loopback/);
});
