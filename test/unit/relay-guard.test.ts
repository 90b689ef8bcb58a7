import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataGuard, type Violation } from '../../src/relay/guard.js';

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

/** Per-byte reference: the first violation in the whole input, as the guard defines them. */
function referenceViolation(input: Buffer, maxLine: number, maxHeader: number): Violation | undefined {
  let lineLen = 0;
  let header = 0;
  let inHeader = true;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (b === 0x0a) return { kind: 'bare-lf', offset: i };
    if (b === 0x0d) {
      if (i + 1 === input.length || input[i + 1] !== 0x0a) return { kind: 'bare-cr', offset: i };
      if (inHeader) {
        header += 2;
        if (lineLen === 0) inHeader = false;
        else if (header > maxHeader) return { kind: 'header-too-large', offset: i + 1, limit: maxHeader };
      }
      lineLen = 0;
      i++; // the LF
      continue;
    }
    lineLen++;
    if (lineLen > maxLine) return { kind: 'line-too-long', offset: i, limit: maxLine };
    if (inHeader && ++header > maxHeader) return { kind: 'header-too-large', offset: i, limit: maxHeader };
  }
  return undefined;
}

test('random inputs in random chunks: the same verdict as a per-byte reference', () => {
  let seed = 99;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['a', 'text', '\r\n', '\r\n', '\r\n', '\r', '\n', 'x'.repeat(9), ':'];
  for (let round = 0; round < 4000; round++) {
    const input = Buffer.from(Array.from({ length: rnd(25) }, () => pieces[rnd(pieces.length)]!).join(''), 'latin1');
    const maxLine = 4 + rnd(12);
    const maxHeader = 8 + rnd(40);
    const g = new DataGuard(maxLine, maxHeader);
    for (let at = 0; at < input.length; ) {
      const n = 1 + rnd(8);
      g.check(input.subarray(at, at + n));
      at += n;
    }
    g.finish();
    const want = referenceViolation(input, maxLine, maxHeader);
    const what = `${JSON.stringify(input.toString('latin1'))} maxLine ${maxLine} maxHeader ${maxHeader}`;
    // Limits are reported at the end of the run of text that broke them, and a bare CR/LF in
    // that run may be reported first: so the verdict must agree, and bare CR/LF exactly.
    assert.equal(g.violation !== undefined, want !== undefined, what);
    const bare = (v?: Violation): boolean => v?.kind === 'bare-cr' || v?.kind === 'bare-lf';
    if (bare(want) && bare(g.violation)) assert.deepEqual(g.violation, want, what);
    if (want && !bare(want) && !bare(g.violation)) assert.equal(g.violation!.kind, want.kind, what);
  }
});
