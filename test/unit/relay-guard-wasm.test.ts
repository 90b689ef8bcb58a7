// The receive guard's WebAssembly scanner against two oracles: the former JS guard (exact:
// every violation with its offset, bytes, dotLines) and a per-byte reference (verdict, exact
// bare CR/LF offsets, dotLines), on random messages in random chunks from 1 byte to several
// 64 KiB slices; guards fed alternately must not see each other's state; the committed module
// bytes must be what guard-scan.wat compiles to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileWat, WAT_PATH } from '../../scripts/build-wasm.js';
import { DataGuard, type Violation } from '../../src/relay/guard.js';
import { GUARD_SCAN_WASM } from '../../src/relay/guard-scan-wasm.js';
import { JsDataGuard, perByte } from '../helpers/relay-guard-reference.js';

type Rnd = (n: number) => number;
/** mulberry32: seeded, and its low bits are as random as its high ones. */
function rng(seed: number): Rnd {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** A message: header lines, a blank line, body lines of mixed lengths, some dots, maybe faults. */
function message(rnd: Rnd, lines: number): Buffer {
  const parts: string[] = [];
  const word = (n: number): string => 'abcdefghij'.repeat(Math.ceil(n / 10) + 1).slice(rnd(10), rnd(10) + n);
  for (let h = rnd(6); h > 0; h--) parts.push(`X-H${h}: ${word(rnd(60))}\r\n`);
  if (rnd(8) !== 0) parts.push('\r\n');
  const dotted = rnd(2) === 0 ? rnd(lines + 1) : -1; // one line starting with '.', or none: so each dot counts
  for (let l = 0; l < lines; l++) {
    const kind = rnd(20);
    const len = kind === 0 ? 900 + rnd(300) : kind === 1 ? 60 + rnd(10) : kind < 4 ? rnd(16) : kind < 6 ? 62 : 70 + rnd(20);
    parts.push((l === dotted ? '.' : '') + word(len) + '\r\n');
  }
  const buf = Buffer.from(parts.join(''), 'latin1');
  for (let f = rnd(4) === 0 ? 1 + rnd(2) : 0; f > 0; f--) buf[rnd(buf.length)] = [0x0d, 0x0a, 0x61][rnd(3)]!;
  return buf;
}

/** Cuts: tiny (1..40), mid-size, just over 16 / 64 KiB, or the whole input in one chunk. */
function cuts(rnd: Rnd, total: number): number[] {
  const style = rnd(5);
  const sizes: number[] = [];
  for (let at = 0; at < total; ) {
    const n = style === 0 ? 1 + rnd(40) : style === 1 ? 17 + rnd(3000) : style === 2 ? 65_536 + 1 + rnd(70_000) : style === 3 ? [1, 15, 63, 64, 65, 4096, 65_535, 65_536, 65_537][rnd(9)]! : total;
    sizes.push(Math.min(n, total - at));
    at += n;
  }
  return sizes;
}

function feed<T extends { check(b: Buffer): boolean; finish(): boolean }>(g: T, input: Buffer, sizes: number[]): T {
  let at = 0;
  for (const n of sizes) {
    g.check(input.subarray(at, at + n));
    at += n;
  }
  g.finish();
  return g;
}

const bare = (v?: Violation): boolean => v?.kind === 'bare-cr' || v?.kind === 'bare-lf';

test('the committed module bytes are what guard-scan.wat compiles to (else run npm run build:wasm)', async () => {
  const bytes = await compileWat(readFileSync(WAT_PATH, 'utf8'));
  assert.equal(Buffer.from(bytes).toString('base64'), GUARD_SCAN_WASM);
});

test('random messages in random chunks: exactly what the former JS guard reported', () => {
  const rnd = rng(2026);
  for (let round = 0; round < 600; round++) {
    const input = message(rnd, round % 50 === 0 ? 3000 + rnd(2000) : rnd(120));
    const maxLine = [8, 40, 63, 64, 100, 998, 1000, 4096][rnd(8)]!;
    const maxHeader = [20, 100, 300, 256 * 1024][rnd(4)]!;
    const sizes = cuts(rnd, input.length);
    const g = feed(new DataGuard(maxLine, maxHeader), input, sizes);
    const want = feed(new JsDataGuard(maxLine, maxHeader), input, sizes);
    const what = `round ${round}, ${input.length} bytes, maxLine ${maxLine}, maxHeader ${maxHeader}, chunks ${sizes.slice(0, 8)}...`;
    assert.deepEqual(g.violation, want.violation, what);
    assert.equal(g.bytes, input.length, what);
    if (!want.violation) assert.equal(g.dotLines, want.dotLines, what);
  }
});

test('random messages in random chunks: the per-byte reference\'s verdict, bare CR/LF offsets and dotLines', () => {
  const rnd = rng(77);
  let clean = 0;
  let faults = 0;
  for (let round = 0; round < 600; round++) {
    const input = message(rnd, rnd(150));
    const maxLine = [10, 64, 200, 1000, 2000, 2000][rnd(6)]!;
    const maxHeader = [50, 300, 10_000, 10_000][rnd(4)]!;
    const g = feed(new DataGuard(maxLine, maxHeader), input, cuts(rnd, input.length));
    const want = perByte(input, maxLine, maxHeader);
    const what = `round ${round}: ${JSON.stringify(input.toString('latin1').slice(0, 300))} maxLine ${maxLine} maxHeader ${maxHeader}`;
    assert.equal(g.violation !== undefined, want.violation !== undefined, what);
    if (bare(want.violation) && bare(g.violation)) assert.deepEqual(g.violation, want.violation, what);
    // A limit is reported at the end of the run of text that broke it (the former JS guard's
    // rule): so when a line breaks both limits, the line limit may be the one named; it must
    // then really be broken by that point.
    if (want.violation && !bare(want.violation) && !bare(g.violation)) {
      const v = g.violation!;
      const only = perByte(input, v.kind === 'line-too-long' ? maxLine : Infinity, v.kind === 'header-too-large' ? maxHeader : Infinity).violation;
      assert.equal(only?.kind, v.kind, what);
      assert.ok(only!.offset <= v.offset && want.violation.offset <= v.offset, what);
    }
    if (!want.violation) {
      assert.equal(g.dotLines, want.dotLines, what);
      assert.equal(g.dotLines, /(^|\r\n)\./.test(input.toString('latin1')), what);
      clean++;
    } else if (bare(want.violation)) faults++;
  }
  assert.ok(clean > 100 && faults > 30, `both clean and faulty inputs occur (${clean} clean, ${faults} bare CR/LF)`);
});

test('every alignment and every cut: dots at block starts, lines at and over the limit, exactly as the former JS guard', () => {
  const x = (n: number): string => 'x'.repeat(n);
  for (let shift = 0; shift < 64; shift++) {
    const header = `X: ${x(shift)}\r\n\r\n`;
    const cases: Array<[string, string[], number]> = [
      [header, [x(62), x(62), '.' + x(61), x(62), x(100), x(30)], 100],
      [header, [x(62), x(62), x(62), x(100), x(101), x(5)], 100],
      [header, [x(62), x(62), x(63), '.', x(200)], 100],
      // a limit below 64: a line inside a 64-byte block can break it
      ['\r\n', [x(shift % 13), ...Array<string>(shift >> 4).fill(x(12)), x(10), x(15), x(16), x(5)], 15],
    ];
    for (const [head, lines, maxLine] of cases) {
      const input = Buffer.from(`${head}${lines.join('\r\n')}\r\n`, 'latin1');
      for (let cut = 0; cut < input.length; cut++) {
        const sizes = cut === 0 ? [input.length] : [cut, input.length - cut];
        const g = feed(new DataGuard(maxLine, 1000), input, sizes);
        const want = feed(new JsDataGuard(maxLine, 1000), input, sizes);
        const what = `shift ${shift} cut ${cut} ${JSON.stringify(lines.map((l) => l.length))}`;
        assert.deepEqual(g.violation, want.violation, what);
        assert.equal(g.dotLines, want.dotLines, what);
      }
    }
  }
});

test('bare CR / LF and limits far into a chunk larger than 64 KiB, at exact offsets', () => {
  const line = 'y'.repeat(78) + '\r\n';
  const body = Buffer.from('Subject: big\r\n\r\n' + line.repeat(3000), 'latin1'); // 240 KB
  for (const at of [16, 17, 65_535, 65_536, 65_537, 131_071, 200_001, body.length - 1]) {
    for (const byte of [0x0d, 0x0a]) {
      const input = Buffer.from(body);
      if (input[at] === byte) continue;
      input[at] = byte;
      const g = feed(new DataGuard(1000, 10_000), input, [input.length]);
      assert.deepEqual(g.violation, perByte(input, 1000, 10_000).violation, `byte ${byte} at ${at}`);
    }
  }
  const long = Buffer.concat([body, Buffer.from('z'.repeat(70_000) + '\r\n')]);
  const g = feed(new DataGuard(4096, 10_000), long, [long.length]);
  assert.deepEqual(g.violation, { kind: 'line-too-long', offset: long.length - 2, limit: 4096 });
  assert.equal(feed(new DataGuard(4096, 10_000), body, [body.length]).violation, undefined);
  const header = Buffer.from('X: ' + 'h'.repeat(100_000) + '\r\n\r\nbody\r\n', 'latin1');
  assert.deepEqual(feed(new DataGuard(1_000_000, 50_000), header, [header.length]).violation, { kind: 'header-too-large', offset: 100_003, limit: 50_000 });
});

test('guards fed alternately each see only their own stream', () => {
  const rnd = rng(5);
  for (let round = 0; round < 100; round++) {
    const inputs = [0, 1, 2].map(() => message(rnd, rnd(400)));
    const limits = inputs.map(() => ({ line: [40, 100, 1000][rnd(3)]!, header: [100, 10_000][rnd(2)]! }));
    const guards = limits.map((l) => new DataGuard(l.line, l.header));
    const refs = limits.map((l) => new JsDataGuard(l.line, l.header));
    const pos = [0, 0, 0];
    while (pos.some((p, k) => p < inputs[k]!.length)) {
      const k = rnd(3);
      const n = rnd(4) === 0 ? 1 + rnd(20_000) : 1 + rnd(100);
      const piece = inputs[k]!.subarray(pos[k]!, pos[k]! + n);
      pos[k] = pos[k]! + n;
      if (piece.length === 0) continue;
      assert.equal(guards[k]!.check(piece), refs[k]!.check(piece));
    }
    for (let k = 0; k < 3; k++) {
      assert.equal(guards[k]!.finish(), refs[k]!.finish());
      assert.deepEqual(guards[k]!.violation, refs[k]!.violation, `round ${round} guard ${k}`);
      if (!refs[k]!.violation) assert.equal(guards[k]!.dotLines, refs[k]!.dotLines, `round ${round} guard ${k} dotLines`);
    }
  }
});

test('an empty chunk changes nothing, also between a CR and its LF', () => {
  const g = new DataGuard(1000, 1000);
  for (const c of ['A: 1\r', '', '\n\r\n', '', '.x\r', '', '\n']) assert.ok(g.check(Buffer.from(c, 'latin1')), JSON.stringify(c));
  assert.ok(g.finish());
  assert.equal(g.dotLines, true);
  assert.equal(g.bytes, 12);
});

test('unbounded limits are accepted', () => {
  const input = Buffer.from('A: 1\r\n\r\n' + 'x'.repeat(200_000) + '\r\n', 'latin1');
  assert.equal(feed(new DataGuard(Infinity, Infinity), input, [input.length]).violation, undefined);
  assert.equal(feed(new DataGuard(Number.MAX_SAFE_INTEGER, 2 ** 40), input, [100, input.length - 100]).violation, undefined);
});
