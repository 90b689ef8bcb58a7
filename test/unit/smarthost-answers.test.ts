import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLanCidr, parseListen } from '../../src/smarthost/answers.js';
import { guessLan } from '../../src/smarthost/defaults.js';

test('--listen takes LAN and loopback addresses only, never the wildcard or a public one', () => {
  for (const ok of ['192.168.1.2', '10.0.0.1:2525', '127.0.0.1', '169.254.1.1', '[::1]', '[fd00::1]', '[fe80::1]', '[::ffff:192.168.1.1]'])
    assert.doesNotThrow(() => parseListen(ok), ok);
  for (const wild of ['0.0.0.0', '[::]']) assert.throws(() => parseListen(wild), /every interface/, wild);
  for (const pub of ['8.8.8.8', '100.64.0.1', '[2001:db8::1]', '224.0.0.1']) assert.throws(() => parseListen(pub), /not a LAN address/, pub);
  assert.throws(() => parseListen('mail.example'), /give an IP address/);
});

test('--lan networks are private and normalised; the LAN guess uses a private IPv4 interface', () => {
  assert.equal(parseLanCidr('192.168.5.7/24'), '192.168.5.0/24');
  assert.throws(() => parseLanCidr('100.64.0.0/10'), /not a private network/);
  assert.throws(() => parseLanCidr('::ffff:192.168.0.0/112'), /not a private network/);
  const info = (address: string, cidr: string) => ({ address, cidr, family: 'IPv4' as const, internal: false, netmask: '', mac: '' });
  assert.deepEqual(guessLan({ eth0: [info('100.64.5.7', '100.64.5.7/10')], eth1: [info('192.168.5.7', '192.168.5.7/24')] }), { address: '192.168.5.7', cidr: '192.168.5.0/24', iface: 'eth1' });
});
