import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressLiteral, relayVariants, serverNameFromGreeting } from '../../src/exposure/relay-variants.js';

const v4 = relayVariants({ ip: '198.51.100.7', serverName: 'mx.office.example' });

test('the battery has the 16 nmap variants, each distinct, numbered 1..16', () => {
  assert.equal(v4.length, 16);
  assert.deepEqual(v4.map((v) => v.index), Array.from({ length: 16 }, (_, i) => i + 1));
  assert.equal(new Set(v4.map((v) => `${v.mailFrom} ${v.rcptTo}`)).size, 16);
});

test('variant forms: null sender, own names, literal, % hack, quotes, source route, bang path', () => {
  assert.deepEqual(v4[0], { index: 1, mailFrom: '<>', rcptTo: '<relaytest@example.net>' });
  assert.equal(v4[1]!.mailFrom, '<omr-relay-test@example.com>');
  assert.equal(v4[2]!.mailFrom, '<omr-relay-test@mx.office.example>');
  assert.equal(v4[3]!.mailFrom, '<omr-relay-test@[198.51.100.7]>');
  const rcpts = v4.map((v) => v.rcptTo);
  for (const expected of [
    '<relaytest%example.net@[198.51.100.7]>',
    '<relaytest%example.net@mx.office.example>',
    '<"relaytest@example.net">',
    '<"relaytest%example.net">',
    '<relaytest@example.net@[198.51.100.7]>',
    '<"relaytest@example.net"@[198.51.100.7]>',
    '<relaytest@example.net@mx.office.example>',
    '<@[198.51.100.7]:relaytest@example.net>',
    '<@mx.office.example:relaytest@example.net>',
    '<example.net!relaytest>',
    '<example.net!relaytest@[198.51.100.7]>',
    '<example.net!relaytest@mx.office.example>',
  ]) assert.ok(rcpts.includes(expected), `missing ${expected}`);
});

test('every recipient names the foreign domain; every address is bracketed; no DATA anywhere', () => {
  for (const v of v4) {
    assert.match(v.rcptTo, /example\.net/);
    assert.match(v.mailFrom, /^<.*>$/);
    assert.match(v.rcptTo, /^<.*>$/);
    assert.doesNotMatch(`${v.mailFrom}${v.rcptTo}`, /DATA|\r|\n/);
  }
});

test('IPv6 targets use RFC 5321 [IPv6:...] literals; custom names flow through', () => {
  assert.equal(addressLiteral('2001:db8::5'), '[IPv6:2001:db8::5]');
  const v6 = relayVariants({ ip: '2001:db8::5', serverName: 'gw', toUser: 'x', toDomain: 'far.example', fromUser: 'me', fromDomain: 'near.example' });
  assert.equal(v6[3]!.mailFrom, '<me@[IPv6:2001:db8::5]>');
  assert.equal(v6[11]!.rcptTo, '<@[IPv6:2001:db8::5]:x@far.example>');
  assert.equal(v6[1]!.mailFrom, '<me@near.example>');
});

test('server name from the greeting, ignoring junk', () => {
  assert.equal(serverNameFromGreeting('220 mx.office.example ESMTP Postfix'), 'mx.office.example');
  assert.equal(serverNameFromGreeting('220-gateway ready'), 'gateway');
  assert.equal(serverNameFromGreeting('220 [198.51.100.7] hi'), undefined);
  assert.equal(serverNameFromGreeting('hello'), undefined);
});
