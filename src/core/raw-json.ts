// Objects that already know their exact JSON text (e.g. 100,000 `omr queue list` entries served
// from the relay's list index): renderJson writes that text instead of serialising them again.
// JSON.stringify ignores symbol keys, so such an object must still serialise to the same text
// on its own (give it a toJSON).
export const RAW_JSON: unique symbol = Symbol.for('omr.rawJson');

export interface HasRawJson {
  readonly [RAW_JSON]: string;
}

export function rawJsonOf(x: unknown): string | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const raw = (x as Partial<HasRawJson>)[RAW_JSON];
  return typeof raw === 'string' ? raw : undefined;
}
