import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProcAddress, parseNetstat, parseProcNetTcp, parseSs, splitAddressPort } from '../../src/exposure/listeners.js';

// Real lines (x86-64, little-endian): a listener on 0.0.0.0:2024, 127.0.0.1:25, 192.168.1.10:587,
// an ESTABLISHED (01) and a TIME_WAIT (06) socket that must be ignored.
const PROC_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 572 1 000000004dbfc460 100 0 0 10 0
   1: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 573 1 000000004dbfc461 100 0 0 10 0
   2: 0A01A8C0:024B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 574 1 000000004dbfc462 100 0 0 10 0
   3: 0100007F:9BAF 0100007F:9120 06 00000000:00000000 03:00001597 00000000     0        0 0 3 00000000e396f90a
   4: 0A01A8C0:0019 0B01A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 575 1 00000000e396f90b
`;

const PROC_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 600 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:09DD 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 601 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000A01A8C0:024B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 602 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 603 1 0000000000000000 100 0 0 10 0
`;

test('/proc/net/tcp: LISTEN sockets only, addresses decoded from little-endian hex', () => {
  assert.deepEqual(parseProcNetTcp(PROC_TCP, true), [
    { address: '0.0.0.0', port: 2024, scope: 'all' },
    { address: '127.0.0.1', port: 25, scope: 'loopback' },
    { address: '192.168.1.10', port: 587, scope: 'lan' },
  ]);
});

test('/proc/net/tcp6: ::, ::1, IPv4-mapped and a documentation address', () => {
  assert.deepEqual(parseProcNetTcp(PROC_TCP6, true), [
    { address: '::', port: 25, scope: 'all' },
    { address: '::1', port: 2525, scope: 'loopback' },
    { address: '::ffff:192.168.1.10', port: 587, scope: 'lan' },
    { address: '2001:db8::1', port: 25, scope: 'lan' },
  ]);
});

test('decodeProcAddress honours big-endian hosts', () => {
  assert.equal(decodeProcAddress('7F000001', false), '127.0.0.1');
  assert.equal(decodeProcAddress('0100007F', true), '127.0.0.1');
  assert.throws(() => decodeProcAddress('123'), /unexpected/);
});

test('ss -ltn: with header, wildcard *, [::], interface suffix, public address', () => {
  const ss = `State  Recv-Q Send-Q  Local Address:Port   Peer Address:PortProcess
LISTEN 0      128           0.0.0.0:2024        0.0.0.0:*
LISTEN 0      100         127.0.0.1:25          0.0.0.0:*
LISTEN 0      4096    127.0.0.53%lo:53          0.0.0.0:*
LISTEN 0      100              [::]:587            [::]:*
LISTEN 0      511                 *:2525              *:*
LISTEN 0      100       203.0.113.9:465         0.0.0.0:*
ESTAB  0      0         10.0.0.5:25      10.0.0.9:40000
`;
  assert.deepEqual(parseSs(ss), [
    { address: '0.0.0.0', port: 2024, scope: 'all' },
    { address: '127.0.0.1', port: 25, scope: 'loopback' },
    { address: '127.0.0.53', port: 53, scope: 'loopback' },
    { address: '::', port: 587, scope: 'all' },
    { address: '*', port: 2525, scope: 'all' },
    { address: '203.0.113.9', port: 465, scope: 'lan' },
  ]);
});

test('netstat: Linux, BSD/macOS and Windows formats', () => {
  const linux = `Active Internet connections (only servers)
Proto Recv-Q Send-Q Local Address           Foreign Address         State
tcp        0      0 0.0.0.0:25              0.0.0.0:*               LISTEN
tcp6       0      0 :::587                  :::*                    LISTEN
tcp6       0      0 ::1:2525                :::*                    LISTEN
tcp        0      0 10.0.0.5:25             10.0.0.9:40000          ESTABLISHED
udp        0      0 0.0.0.0:68              0.0.0.0:*
`;
  assert.deepEqual(parseNetstat(linux).map((l) => `${l.address}|${l.port}|${l.scope}`), ['0.0.0.0|25|all', '::|587|all', '::1|2525|loopback']);
  const bsd = `Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  127.0.0.1.25           *.*                    LISTEN
tcp46      0      0  *.587                  *.*                    LISTEN
tcp6       0      0  fe80::1%lo0.2525       *.*                    LISTEN
tcp4       0      0  192.168.1.4.52311      17.57.144.20.5223      ESTABLISHED
`;
  assert.deepEqual(parseNetstat(bsd).map((l) => `${l.address}|${l.port}|${l.scope}`), ['127.0.0.1|25|loopback', '*|587|all', 'fe80::1|2525|lan']);
  const windows = `
Active Connections

  Proto  Local Address          Foreign Address        State
  TCP    0.0.0.0:25             0.0.0.0:0              LISTENING
  TCP    192.168.1.20:587       0.0.0.0:0              LISTENING
  TCP    [::]:2525              [::]:0                 LISTENING
  TCP    192.168.1.20:49700     52.1.1.1:443           ESTABLISHED
`;
  assert.deepEqual(parseNetstat(windows).map((l) => `${l.address}|${l.port}|${l.scope}`), ['0.0.0.0|25|all', '192.168.1.20|587|lan', '::|2525|all']);
});

test('splitAddressPort rejects text without a port', () => {
  assert.equal(splitAddressPort('nothing'), undefined);
  assert.deepEqual(splitAddressPort('[fe80::1%eth0]:25'), { address: 'fe80::1', port: 25 });
});
