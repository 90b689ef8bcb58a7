import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressRange, addressScope, inNetworks, isCgnat, isLoopbackHost, isNonPublic, isPrivateAddress, normaliseCidr, parseAddress, parseCidr } from '../../src/core/address.js';
import { parseCidr as configCidr } from '../../src/config/relay-keys.js';

test('address ranges, CGNAT included', () => {
  assert.equal(addressRange('100.64.0.1'), 'cgnat');
  assert.equal(addressRange('100.127.255.254'), 'cgnat');
  assert.equal(addressRange('100.128.0.1'), 'public');
  assert.ok(isCgnat('100.100.1.1'));
  assert.equal(addressRange('10.1.2.3'), 'private');
  assert.equal(addressRange('fd12::1'), 'private');
  assert.equal(addressRange('::ffff:127.0.0.1'), 'loopback');
  assert.equal(addressRange('fe80::1%eth0'), 'link-local');
  assert.equal(addressRange('[::]'), 'unspecified');
  assert.equal(addressRange('2001:db8::1'), 'other');
  assert.equal(addressRange('office'), 'other');
});

test('parseAddress unwraps IPv4-mapped IPv6 and strips zone ids and brackets', () => {
  assert.equal(parseAddress('::ffff:10.0.0.1')?.toString(), '10.0.0.1');
  assert.equal(parseAddress('fe80::1%eth0')?.toString(), 'fe80::1');
  assert.equal(parseAddress('[::1]')?.toString(), '::1');
  assert.equal(parseAddress('mail.example'), undefined);
});

test('CIDR parsing: bare addresses, mapped IPv6, errors', () => {
  assert.equal(parseCidr('192.168.1.7')[1], 32);
  assert.equal(parseCidr('::ffff:10.0.0.0/104')[1], 8);
  assert.throws(() => parseCidr('10.0.0.0/33'), /not an address or CIDR/);
  assert.throws(() => parseCidr('office'), /not an address or CIDR/);
  assert.throws(() => parseCidr('10'), /not an address or CIDR/);
  assert.equal(normaliseCidr(' 192.168.1.7 '), '192.168.1.7/32');
  assert.equal(normaliseCidr('fd00::/8'), 'fd00::/8');
  assert.throws(() => configCidr('office'), /is not a network in CIDR form/);
});

test('CIDR matching across IPv4, IPv6 and mapped addresses', () => {
  assert.ok(inNetworks('::ffff:192.168.1.5', ['192.168.0.0/16']));
  assert.ok(inNetworks('fd12::1', ['10.0.0.0/8', 'fc00::/7']));
  assert.equal(inNetworks('8.8.8.8', ['10.0.0.0/8', '::/0']), false);
  assert.equal(inNetworks('not-an-ip', ['0.0.0.0/0']), false);
});

test('private versus non-public versus scope', () => {
  assert.equal(isPrivateAddress('192.168.3.3'), true);
  assert.equal(isPrivateAddress('1.1.1.1'), false);
  // Reserved ranges are not private, but neither are they ordinary public hosts.
  assert.equal(isPrivateAddress('2001:db8::1'), false);
  assert.equal(isNonPublic('2001:db8::1'), true);
  assert.equal(isNonPublic('100.64.0.1'), true);
  assert.equal(isNonPublic('81.2.69.160'), false);
  assert.equal(addressScope('2001:db8::1'), 'public');
  assert.equal(addressScope('::ffff:127.0.0.1'), 'loopback');
  assert.ok(isLoopbackHost('localhost') && isLoopbackHost('::1') && isLoopbackHost('127.0.0.2'));
  assert.equal(isLoopbackHost('mail.example'), false);
});
