// The journal entry header decoded the plain way (native CRC-32, Buffer reads): the reference
// the relay's allocation-free readHeaderAt is checked against.
import { crc32 } from 'node:zlib';
import { ENTRY_DONE, ENTRY_MESSAGE, HEADER_BYTES, MAGIC, type EntryHeader } from '../../src/relay/journal/format.js';

/** The header at `buf[0..24)`, or undefined when it is not a valid entry header. */
export function decodeHeader(buf: Buffer): EntryHeader | undefined {
  if (buf.length < HEADER_BYTES || buf.readUInt32BE(0) !== MAGIC) return undefined;
  if (crc32(buf.subarray(0, 20)) !== buf.readUInt32BE(20)) return undefined;
  const type = buf.readUInt8(4);
  if (type !== ENTRY_MESSAGE && type !== ENTRY_DONE) return undefined;
  return { type, recordLen: buf.readUInt32BE(8), bodyLen: buf.readUInt32BE(12), crc: buf.readUInt32BE(16) };
}
