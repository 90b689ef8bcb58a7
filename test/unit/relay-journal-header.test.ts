import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { encodeEntry, ENTRY_DONE, ENTRY_MESSAGE, HEADER_BYTES, readHeaderAt, type EntryHeader } from '../../src/relay/journal/format.js';
import { decodeHeader } from '../helpers/journal-header.js';

/** readHeaderAt at `pos` of a larger buffer, as the scanner calls it. */
function readAt(buf: Buffer, pos: number): EntryHeader | undefined {
  const out: EntryHeader = { type: ENTRY_MESSAGE, recordLen: -1, bodyLen: -1, crc: -1 };
  return readHeaderAt(buf, pos, out) ? out : undefined;
}

test('readHeaderAt agrees with decodeHeader on valid, damaged and truncated headers', () => {
  let valid = 0;
  for (let i = 0; i < 3000; i++) {
    const type = i % 3 === 0 ? ENTRY_DONE : ENTRY_MESSAGE;
    const { bufs } = encodeEntry(type, randomBytes(i % 50), [randomBytes(i % 7)]);
    const entry = Buffer.concat(bufs);
    // Damage some: a flipped bit anywhere in the header, or random bytes for the whole header.
    if (i % 4 === 1) entry[i % HEADER_BYTES]! ^= 1 << (i % 8);
    if (i % 4 === 2) randomBytes(HEADER_BYTES).copy(entry);
    const pad = i % 5;
    const buf = Buffer.concat([randomBytes(pad), entry]);
    const cut = i % 11 === 0 ? buf.subarray(0, pad + (i % HEADER_BYTES)) : buf;
    const want = decodeHeader(cut.subarray(pad, pad + HEADER_BYTES));
    assert.deepEqual(readAt(cut, pad), want, `case ${i}`);
    if (want) valid++;
  }
  // Both outcomes were exercised.
  assert.ok(valid > 1000 && valid < 2500, `valid ${valid}`);
});
