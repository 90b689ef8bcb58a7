import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientPolicy, SessionCounter } from '../../src/relay/policy.js';
import { DEFAULT_ALLOW } from '../../src/relay/types.js';

test('default allowlist admits RFC 1918, loopback, ULA, link-local; refuses public', () => {
  const p = new ClientPolicy(DEFAULT_ALLOW, false);
  for (const a of ['10.1.2.3', '172.16.0.9', '172.31.255.1', '192.168.1.20', '127.0.0.1', '::1', 'fd12::1', 'fe80::1', '::ffff:192.168.1.5'])
    assert.deepEqual(p.admit(a), { ok: true }, a);
  for (const a of ['8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:8.8.8.8', '100.64.0.1'])
    assert.equal(p.admit(a).ok, false, a);
});

test('a public source is refused even when --allow covers it, unless allow-public-clients', () => {
  assert.deepEqual(new ClientPolicy(['0.0.0.0/0'], false).admit('8.8.8.8'), { ok: false, reason: 'public-source' });
  assert.deepEqual(new ClientPolicy(['0.0.0.0/0'], true).admit('8.8.8.8'), { ok: true });
  assert.deepEqual(new ClientPolicy(['10.0.0.0/8'], false).admit('127.0.0.1'), { ok: false, reason: 'not-allowed' });
});

test('public entries in the allowlist are found (CIDR parsing: core-address.test.ts)', () => {
  assert.deepEqual(ClientPolicy.publicEntries(['192.168.0.0/16', '0.0.0.0/0', '8.8.8.0/24']), ['0.0.0.0/0', '8.8.8.0/24']);
});

test('session counter enforces a per-client limit', () => {
  const c = new SessionCounter(2);
  assert.ok(c.tryOpen('a') && c.tryOpen('a'));
  assert.equal(c.tryOpen('a'), false);
  assert.ok(c.tryOpen('b'));
  c.close('a');
  assert.ok(c.tryOpen('a'));
  assert.equal(c.count('a'), 2);
});
