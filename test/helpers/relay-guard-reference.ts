// Test references for the receive guard (src/relay/guard.ts): the former JS DataGuard, kept
// verbatim as the oracle the WebAssembly scanner must equal field for field, and a per-byte
// reference of what the guard checks (a copy of the one in test/unit/relay-guard.test.ts,
// which also reports dotLines).
import type { Violation } from '../../src/relay/guard.js';

const LF = 0x0a;
const DOT = 0x2e;

export class JsDataGuard {
  violation?: Violation;
  /** Bytes seen (the message size as received, before our Received header). */
  bytes = 0;
  /**
   * Some line starts with '.'. When none does, delivery can send the stored body as it is
   * (no dot to double), without searching it again.
   */
  dotLines = false;
  private pendingCR = false;
  private lineLen = 0;
  private inHeader = true;
  private headerBytes = 0;

  constructor(private readonly maxLine: number, private readonly maxHeader: number) {}

  /** Inspects the next chunk; true while the message is still acceptable. */
  check(chunk: Buffer): boolean {
    const base = this.bytes;
    this.bytes += chunk.length;
    if (!this.violation) this.inspect(chunk, base);
    return !this.violation;
  }

  /** Call at end of data. */
  finish(): boolean {
    if (!this.violation && this.pendingCR) this.violation = { kind: 'bare-cr', offset: this.bytes - 1 };
    return !this.violation;
  }

  // Searches a latin1 copy of the chunk: String.prototype.indexOf is a V8 builtin called from
  // optimized code, Buffer.indexOf a C++ binding call; with two searches per line (80-byte
  // lines: 130,000 per 5 MiB) that was 2.2 ms per 5 MiB instead of 3.9.
  private inspect(buf: Buffer, base: number): void {
    const text = buf.toString('latin1');
    const len = text.length;
    let pos = 0;
    if (this.pendingCR) {
      if (text.charCodeAt(0) !== LF) return this.fail({ kind: 'bare-cr', offset: base - 1 });
      this.pendingCR = false;
      this.endLine(base);
      pos = 1;
      if (len > 1 && text.charCodeAt(1) === DOT) this.dotLines = true;
    } else if (this.lineLen === 0 && text.charCodeAt(0) === DOT) this.dotLines = true; // the chunk starts a line
    while (pos < len && !this.violation) {
      const cr = text.indexOf('\r', pos);
      const lf = text.indexOf('\n', pos);
      if (lf !== -1 && (cr === -1 || lf < cr)) return this.fail({ kind: 'bare-lf', offset: base + lf });
      const end = cr === -1 ? len : cr;
      this.addLine(end - pos, base + end);
      if (cr === -1) return;
      if (cr + 1 === len) {
        this.pendingCR = true;
        return;
      }
      if (text.charCodeAt(cr + 1) !== LF) return this.fail({ kind: 'bare-cr', offset: base + cr });
      this.endLine(base + cr + 1);
      pos = cr + 2;
      if (pos < len && text.charCodeAt(pos) === DOT) this.dotLines = true;
    }
  }

  private addLine(n: number, offset: number): void {
    this.lineLen += n;
    if (this.lineLen > this.maxLine) this.fail({ kind: 'line-too-long', offset, limit: this.maxLine });
    if (this.inHeader) {
      this.headerBytes += n;
      if (this.headerBytes > this.maxHeader) this.fail({ kind: 'header-too-large', offset, limit: this.maxHeader });
    }
  }

  private endLine(offset: number): void {
    if (this.inHeader) {
      this.headerBytes += 2;
      if (this.lineLen === 0) this.inHeader = false;
      else if (this.headerBytes > this.maxHeader) this.fail({ kind: 'header-too-large', offset, limit: this.maxHeader });
    }
    this.lineLen = 0;
  }

  private fail(v: Violation): void {
    this.violation ??= v;
  }
}

/** Per-byte reference: the first violation in the whole input, and whether a line starts with '.'. */
export function perByte(input: Buffer, maxLine: number, maxHeader: number): { violation?: Violation; dotLines: boolean } {
  let lineLen = 0;
  let header = 0;
  let inHeader = true;
  let dotLines = false;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (b === 0x0a) return { violation: { kind: 'bare-lf', offset: i }, dotLines };
    if (b === 0x0d) {
      if (i + 1 === input.length || input[i + 1] !== 0x0a) return { violation: { kind: 'bare-cr', offset: i }, dotLines };
      if (inHeader) {
        header += 2;
        if (lineLen === 0) inHeader = false;
        else if (header > maxHeader) return { violation: { kind: 'header-too-large', offset: i + 1, limit: maxHeader }, dotLines };
      }
      lineLen = 0;
      i++; // the LF
      continue;
    }
    if (lineLen === 0 && b === 0x2e) dotLines = true;
    lineLen++;
    if (lineLen > maxLine) return { violation: { kind: 'line-too-long', offset: i, limit: maxLine }, dotLines };
    if (inHeader && ++header > maxHeader) return { violation: { kind: 'header-too-large', offset: i, limit: maxHeader }, dotLines };
  }
  return { dotLines };
}
