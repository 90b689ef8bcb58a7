import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataGuard } from '../../src/relay/guard.js';

function run(chunks: string[], maxLine = 1000, maxHeader = 10_000): DataGuard {
  const g = new DataGuard(maxLine, maxHeader);
  for (const c of chunks) g.check(Buffer.from(c, 'latin1'));
  g.finish();
  return g;
}

test('clean CRLF message passes, also when CRLF is split across chunks', () => {
  assert.equal(run(['Subject: x\r\n\r\nbody\r\n']).violation, undefined);
  assert.equal(run(['Subject: x\r', '\n\r', '\nbody\r', '\n']).violation, undefined);
});

test('bare LF and bare CR are found wherever they are, across chunk boundaries too', () => {
  assert.equal(run(['a\nb\r\n']).violation?.kind, 'bare-lf');
  assert.equal(run(['a\r\n.\n']).violation?.kind, 'bare-lf');
  assert.equal(run(['a\rb\r\n']).violation?.kind, 'bare-cr');
  assert.equal(run(['a\r', 'b\r\n']).violation?.kind, 'bare-cr');
  assert.equal(run(['a\r']).violation?.kind, 'bare-cr');
  assert.deepEqual(run(['abc\r\nde\nf']).violation, { kind: 'bare-lf', offset: 7 });
});

test('line length limit counts across chunks and resets per line', () => {
  assert.equal(run(['x'.repeat(10) + '\r\n' + 'y'.repeat(10) + '\r\n'], 10).violation, undefined);
  assert.equal(run(['x'.repeat(6), 'x'.repeat(5) + '\r\n'], 10).violation?.kind, 'line-too-long');
});

test('header size limit stops at the blank line', () => {
  assert.equal(run(['A: 1\r\nB: 2\r\n\r\n' + 'z'.repeat(500) + '\r\n'], 1000, 20).violation, undefined);
  assert.equal(run(['A: 1\r\nB: 2\r\nC: 3\r\n\r\n'], 1000, 15).violation?.kind, 'header-too-large');
});

test('after a violation the guard keeps counting bytes but reports the first problem', () => {
  const g = run(['a\nb', 'c\rd']);
  assert.equal(g.violation?.kind, 'bare-lf');
  assert.equal(g.bytes, 6);
});
