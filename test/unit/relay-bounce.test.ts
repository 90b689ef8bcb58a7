import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDsn } from '../../src/relay/bounce.js';
import { receivedHeader } from '../../src/relay/store.js';

test('DSN is an RFC 3464 multipart/report with one per-recipient block per failure', () => {
  const raw = buildDsn({
    id: 'Q1', hostname: 'gw.office.example', sender: 'boss@office.example', arrivalDate: '2026-03-01T12:00:00.000Z',
    failed: [{ address: 'a@x', reply: '550 5.1.1 no such user' }, { address: 'b@x', reply: '554 rejected' }],
    originalHeaders: 'Received: from pc\r\nSubject: hi\r\n',
  }).toString('latin1');
  assert.match(raw, /^From: Mail Delivery System <MAILER-DAEMON@gw\.office\.example>\r\nTo: <boss@office\.example>\r\n/);
  assert.match(raw, /Content-Type: multipart\/report; report-type=delivery-status; boundary="(omr-dsn-[0-9a-f]+)"/);
  assert.match(raw, /Auto-Submitted: auto-replied/);
  assert.match(raw, /Content-Type: message\/delivery-status\r\n\r\nReporting-MTA: dns; gw\.office\.example\r\n/);
  assert.match(raw, /Final-Recipient: rfc822; a@x\r\nAction: failed\r\nStatus: 5\.1\.1\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user/);
  assert.match(raw, /Final-Recipient: rfc822; b@x\r\nAction: failed\r\nStatus: 5\.0\.0/);
  assert.match(raw, /Content-Type: text\/rfc822-headers\r\n\r\nReceived: from pc\r\nSubject: hi\r\n/);
  assert.ok(!/[^\r]\n/.test(raw), 'CRLF line endings only');
  const boundary = /boundary="([^"]+)"/.exec(raw)![1];
  assert.ok(raw.trimEnd().endsWith(`--${boundary}--`));
});

test('Received header names the client, its EHLO name and the queue id; strips junk from EHLO', () => {
  const h = receivedHeader('ABC123', { sender: 's@x', recipients: ['r@x'], client: '192.168.1.9', helo: 'pc(evil)\r\n', esmtp: true }, 'gw.test', new Date('2026-03-01T12:00:00Z'));
  assert.equal(h, 'Received: from pcevil ([192.168.1.9])\r\n\tby gw.test (omr-relay) with ESMTP id ABC123\r\n\tfor <r@x>;\r\n\tSun, 01 Mar 2026 12:00:00 +0000\r\n');
  assert.match(receivedHeader('X', { sender: '', recipients: ['a', 'b'], client: 'fd00::5', esmtp: false }, 'gw'), /^Received: from unknown \(\[IPv6:fd00::5\]\)\r\n\tby gw \(omr-relay\) with SMTP id X;\r\n/);
});
