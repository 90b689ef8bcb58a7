// The journal's entry format. An entry is a 24-byte header, then the record (JSON) and the body:
//   0 magic 'OMRJ' | 4 type (1 message, 2 done) | 5..7 zero | 8 record length | 12 body length
//   16 crc32 of record+body | 20 crc32 of bytes 0..19
// The header has its own checksum so a torn or zeroed tail is recognised without trusting its
// lengths; the scanner stops at the first entry that does not check out (nothing after it was
// ever acknowledged: batches are written in order and each 250 waits for the fdatasync after it).
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 24;
export const MAGIC = 0x4f4d524a; // 'OMRJ'
export const ENTRY_MESSAGE = 1;
export const ENTRY_DONE = 2;
export type EntryType = typeof ENTRY_MESSAGE | typeof ENTRY_DONE;

export interface EntryHeader {
  type: EntryType;
  recordLen: number;
  bodyLen: number;
  crc: number;
}

/** Header + payload buffers of one entry, ready for writev; `bytes` is the entry's total size. */
export function encodeEntry(type: EntryType, record: Buffer, body: readonly Buffer[]): { bufs: Buffer[]; bytes: number } {
  let crc = crc32(record);
  let bodyLen = 0;
  for (const b of body) {
    crc = crc32(b, crc);
    bodyLen += b.length;
  }
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(MAGIC, 0);
  h.writeUInt8(type, 4);
  h.writeUInt32BE(record.length, 8);
  h.writeUInt32BE(bodyLen, 12);
  h.writeUInt32BE(crc, 16);
  h.writeUInt32BE(crc32(h.subarray(0, 20)), 20);
  return { bufs: [h, record, ...body], bytes: HEADER_BYTES + record.length + bodyLen };
}

/**
 * Checks the entry header at `buf[pos..pos+24)` (magic, its own CRC-32, type) and writes its
 * fields into `out`: no view, no object and no native call per entry (a scan of 100,000 entries
 * spent about 0.15 s in subarray, readUInt32BE and crc32 calls). False when it is not valid.
 */
export function readHeaderAt(buf: Uint8Array, pos: number, out: EntryHeader): boolean {
  if (pos + HEADER_BYTES > buf.length || u32(buf, pos) !== MAGIC) return false;
  let c = 0xffffffff;
  for (let i = pos; i < pos + 20; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  if (((c ^ 0xffffffff) >>> 0) !== u32(buf, pos + 20)) return false;
  const type = buf[pos + 4]!;
  if (type !== ENTRY_MESSAGE && type !== ENTRY_DONE) return false;
  out.type = type;
  out.recordLen = u32(buf, pos + 8);
  out.bodyLen = u32(buf, pos + 12);
  out.crc = u32(buf, pos + 16);
  return true;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** CRC-32 (zlib's polynomial) by table, for the 20 header bytes. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function payloadIntact(h: EntryHeader, payload: Buffer): boolean {
  return payload.length === h.recordLen + h.bodyLen && crc32(payload) === h.crc;
}

export function segmentName(seq: number): string {
  return `${String(seq).padStart(10, '0')}.wal`;
}

export function segmentSeq(name: string): number | undefined {
  const m = /^(\d{10})\.wal$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
