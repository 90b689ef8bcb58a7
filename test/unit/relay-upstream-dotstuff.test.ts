// DATA encoding of bodies: dot-stuffing and CRLF normalisation must not depend on where the
// stream happens to be cut into chunks. A per-byte reference (RFC 5321 4.5.2 plus bare CR/LF
// to CRLF, as nodemailer did) is compared with DotStuffer on random bodies and random cuts.
import assert from 'node:assert/strict';
import test from 'node:test';
import { DataGuard } from '../../src/relay/guard.js';
import { DotStuffer, stuffAll } from '../../src/relay/upstream/dot-stuff.js';

function reference(body: Buffer): Buffer {
  const out: number[] = [];
  let prev = -1; // start of data counts as a line start
  for (const b of body) {
    if (prev === 0x0d && b !== 0x0a) out.push(0x0a);
    if (b === 0x0a && prev !== 0x0d) out.push(0x0d);
    const lineStart = prev === -1 || prev === 0x0a || prev === 0x0d;
    if (b === 0x2e && lineStart) out.push(0x2e);
    out.push(b);
    prev = b;
  }
  const tail = body.length === 0 || prev === 0x0a ? '.\r\n' : prev === 0x0d ? '\n.\r\n' : '\r\n.\r\n';
  return Buffer.concat([Buffer.from(out), Buffer.from(tail)]);
}

function chunked(body: Buffer, cuts: number[], crlf = false, dotLines = true): Buffer {
  const s = new DotStuffer(crlf, dotLines);
  const parts: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, body.length]) {
    parts.push(s.push(body.subarray(at, c)));
    at = c;
  }
  parts.push(s.end());
  return Buffer.concat(parts);
}

test('known cases: leading dots, lone dot lines, terminator', () => {
  const cases: Array<[string, string]> = [
    ['', '.\r\n'],
    ['.', '..\r\n.\r\n'],
    ['a\r\n.\r\nb', 'a\r\n..\r\nb\r\n.\r\n'],
    ['a\r\n', 'a\r\n.\r\n'],
    ['..x\r\n', '...x\r\n.\r\n'],
    ['a\nb\n', 'a\r\nb\r\n.\r\n'],
    ['a\r.b', 'a\r\n..b\r\n.\r\n'],
    ['a\r', 'a\r\n.\r\n'],
    ['x.y\r\n.', 'x.y\r\n..\r\n.\r\n'],
  ];
  for (const [inp, want] of cases) assert.equal(stuffAll(Buffer.from(inp, 'latin1')).toString('latin1'), want, JSON.stringify(inp));
});

test('a clean CRLF body without leading dots passes through without a copy', () => {
  const s = new DotStuffer();
  const b = Buffer.from('Subject: x\r\n\r\nhello\r\nworld\r\n');
  assert.equal(s.push(b), b);
});

test('chunk boundaries between CR, LF and dot change nothing', () => {
  const body = Buffer.from('a\r\n.b\r\n..c\r\n.\r\nd\n.e\r.f\r\r\n.', 'latin1');
  const whole = stuffAll(body);
  for (let i = 0; i <= body.length; i++)
    for (let j = i; j <= body.length; j++) assert.deepEqual(chunked(body, [i, j]), whole, `cuts ${i},${j}`);
});

test('random bodies and random cuts match the per-byte reference', () => {
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const alphabet = [0x61, 0x2e, 0x0d, 0x0a, 0x2e, 0x0a];
  for (let round = 0; round < 2000; round++) {
    const body = Buffer.from(Array.from({ length: rnd(40) }, () => alphabet[rnd(alphabet.length)]!));
    const cuts = Array.from({ length: rnd(5) }, () => rnd(body.length + 1)).sort((a, b) => a - b);
    assert.deepEqual(chunked(body, cuts), reference(body), `body ${JSON.stringify(body.toString('latin1'))} cuts ${cuts}`);
  }
});

test('crlf mode (a body the receive guard checked): same output as the reference on random CRLF text and cuts', () => {
  let seed = 777;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['a', '.', '..', '\r\n', '\r\n.', '.\r\n', 'text'];
  for (let round = 0; round < 3000; round++) {
    let text = Array.from({ length: rnd(30) }, () => pieces[rnd(pieces.length)]!).join('');
    text = text.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n'); // every line end CRLF, nothing bare
    const body = Buffer.from(text, 'latin1');
    const cuts = Array.from({ length: rnd(6) }, () => rnd(body.length + 1)).sort((a, b) => a - b);
    assert.deepEqual(chunked(body, cuts, true), reference(body), `body ${JSON.stringify(text)} cuts ${cuts}`);
  }
});

test('the receive guard\'s dotLines verdict, taken in other random cuts, makes sending the body as it is safe', () => {
  let seed = 4242;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['a', '.', '\r\n', '\r\n', '\r\n.', 'text', 'x'.repeat(5)];
  let withoutDots = 0;
  for (let round = 0; round < 3000; round++) {
    const body = Buffer.from(Array.from({ length: rnd(30) }, () => pieces[rnd(pieces.length)]!).join(''), 'latin1');
    const text = body.toString('latin1');
    const guard = new DataGuard(1000, 100_000);
    for (let at = 0; at < body.length; ) {
      const n = 1 + rnd(7);
      guard.check(body.subarray(at, at + n));
      at += n;
    }
    assert.ok(guard.finish(), text);
    assert.equal(guard.dotLines, /(^|\r\n)\./.test(text), `dotLines for ${JSON.stringify(text)}`);
    if (!guard.dotLines) withoutDots++;
    const cuts = Array.from({ length: rnd(6) }, () => rnd(body.length + 1)).sort((a, b) => a - b);
    assert.deepEqual(chunked(body, cuts, true, guard.dotLines), reference(body), `body ${JSON.stringify(text)} cuts ${cuts}`);
    assert.deepEqual(stuffAll(body, true, guard.dotLines), reference(body), `whole body ${JSON.stringify(text)}`);
  }
  assert.ok(withoutDots > 300 && withoutDots < 2700, `both kinds of body occur (${withoutDots} without dots)`);
});

test('crlf mode passes a body without leading dots through without a copy', () => {
  const b = Buffer.from('Subject: x\r\n\r\nhello.\r\nworld\r\n');
  assert.equal(new DotStuffer(true).push(b), b);
  const known = new DotStuffer(true, false);
  assert.equal(known.push(b), b);
  assert.equal(known.end().toString(), '.\r\n');
  const open = new DotStuffer(true, false);
  open.push(Buffer.from('no line end'));
  assert.equal(open.end().toString(), '\r\n.\r\n');
});
