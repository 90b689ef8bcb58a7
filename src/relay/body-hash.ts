// The hash of a message body that duplicate suppression compares (with Message-ID and the
// envelope; ops/dedupe.ts). XXH64 rather than SHA-256: it only has to tell a client's resend of
// the same message from other mail, and on a 5 MiB body it costs 0.6 ms of CPU against 3.1
// (SHA-256 with the CPU's SHA extensions), a tenth of what the relay spends receiving it.
// Someone who wanted a collision could only make their own mail count as a duplicate of a
// message whose body, Message-ID and envelope they already know.
import xxhash from 'xxhash-wasm';

const { create64 } = await xxhash();

export interface BodyHash {
  update(chunk: Uint8Array): void;
  /** 16 hex digits. */
  digest(): string;
}

export function bodyHash(): BodyHash {
  const h = create64();
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => h.digest().toString(16).padStart(16, '0'),
  };
}
