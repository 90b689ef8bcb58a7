import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDsn } from '../../src/relay/bounce.js';
import { isPlainHeader, receivedHeader } from '../../src/relay/store.js';

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

test('Received header: a recipient that is not plain ASCII is left out (U+010D/U+010A would become CR/LF in latin1)', () => {
  const meta = (rcpt: string) => ({ sender: 's@x', recipients: [rcpt], client: '10.0.0.2', helo: 'pc', esmtp: true });
  const smuggler = receivedHeader('ID1', meta('x\u010d\u010a.\u010d\u010ay@example.net'), 'gw');
  assert.doesNotMatch(smuggler, /for </);
  assert.ok(isPlainHeader(smuggler));
  assert.doesNotMatch(receivedHeader('ID2', meta('j\u00fcrgen@example.de'), 'gw'), /for </);
  assert.doesNotMatch(receivedHeader('ID3', meta('a<b>@x'), 'gw'), /for </);
  assert.match(receivedHeader('ID4', meta('"o.k"+tag@example.net'), 'gw'), /\r\n\tfor <"o\.k"\+tag@example\.net>;/);
});

test('isPlainHeader: only printable ASCII and TAB, CRLF line ends, no line starting with a dot', () => {
  assert.ok(isPlainHeader('Received: from a ([1.2.3.4])\r\n\tby gw;\r\n'));
  assert.equal(isPlainHeader('Received: a\rb\r\n'), false, 'bare CR');
  assert.equal(isPlainHeader('Received: a\nb\r\n'), false, 'bare LF');
  assert.equal(isPlainHeader('Received: a\r\n.\r\n'), false, 'dot line');
  assert.equal(isPlainHeader('.Received: a\r\n'), false, 'dot at the start');
  assert.equal(isPlainHeader('Received: \u010d\r\n'), false, 'not ASCII');
  assert.equal(isPlainHeader('Received: \x00\r\n'), false, 'control character');
});
