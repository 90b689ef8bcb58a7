import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyParser, ReplyFormatError, formatReply } from '../../src/probe/reply.js';

test('multi-line reply split across chunks completes on the last line only', () => {
  const p = new ReplyParser();
  assert.deepEqual(p.push('250-mx.example Hello\r\n250-SIZE 1000'), []);
  assert.equal(p.midReply, true);
  const [r] = p.push('0\r\n250 STARTTLS\r\n');
  assert.ok(r);
  assert.equal(r.code, 250);
  assert.deepEqual(r.lines, ['mx.example Hello', 'SIZE 10000', 'STARTTLS']);
  assert.equal(p.midReply, false);
});

test('several replies in one chunk, bare LF tolerated, enhanced code parsed', () => {
  const p = new ReplyParser();
  const rs = p.push('421 4.7.0 Too many connections\n220 ok\r\n');
  assert.equal(rs.length, 2);
  assert.equal(rs[0]!.enhanced, '4.7.0');
  assert.equal(formatReply(rs[0]!), '421 4.7.0 Too many connections');
  assert.equal(rs[1]!.text, 'ok');
});

test('code alone on a line is a complete reply', () => {
  const p = new ReplyParser();
  const [r] = p.push('250\r\n');
  assert.equal(r!.code, 250);
  assert.equal(r!.text, '');
});

test('non-SMTP data is a format error', () => {
  const p = new ReplyParser();
  assert.throws(() => p.push('HTTP/1.1 400 Bad Request\r\n'), ReplyFormatError);
});

test('code change inside a multi-line reply is a format error', () => {
  const p = new ReplyParser();
  assert.throws(() => p.push('250-a\r\n251 b\r\n'), /code changed/);
});

test('endless line without newline is refused', () => {
  const p = new ReplyParser();
  assert.throws(() => p.push('220 ' + 'x'.repeat(5000)), /longer than/);
});

test('reset drops partial data', () => {
  const p = new ReplyParser();
  p.push('250-a\r\n250 b');
  assert.ok(p.reset().length > 0);
  assert.equal(p.midReply, false);
});
