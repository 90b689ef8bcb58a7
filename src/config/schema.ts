// zod schema for the config file, built from the key table. File values may be typed YAML
// (numbers, booleans, lists) or strings in the same notation as the flags.
import { z } from 'zod';
import { RELAY_KEYS, isListKey, parseKeyText, type ConfigKey } from './relay-keys.js';

function scalarSchema(k: ConfigKey): z.ZodType {
  return z.union([z.string(), z.number(), z.boolean()]).transform((value, ctx) => {
    if (typeof value === 'boolean' && k.type !== 'bool') {
      ctx.addIssue({ code: 'custom', message: `expected ${describeType(k)}, got a boolean` });
      return z.NEVER;
    }
    if (typeof value === 'number' && k.type === 'duration') return Math.round(value * 1000); // bare number = seconds
    try {
      return parseKeyText(k, String(value));
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });
}

function keySchema(k: ConfigKey): z.ZodType {
  if (isListKey(k)) {
    return z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(scalarSchema(k)));
  }
  return scalarSchema(k);
}

export function describeType(k: ConfigKey): string {
  switch (k.type) {
    case 'hostport-list':
      return 'a list of ADDR:PORT';
    case 'cidr-list':
      return 'a list of networks in CIDR form';
    case 'enum':
      return `one of ${k.choices!.join(', ')}`;
    case 'int':
      return 'a whole number';
    case 'bool':
      return 'true or false';
    case 'size':
      return 'a size such as 25MiB';
    case 'duration':
      return 'a duration such as 10m';
    case 'hostport':
      return 'HOST[:PORT]';
    case 'rate':
      return 'rate limits such as 60/min,600/hour';
    default:
      return 'a string';
  }
}

/** Strict: unknown keys are issues (reported with a suggestion by the loader). */
export const relayFileSchema = z.strictObject(Object.fromEntries(RELAY_KEYS.map((k) => [k.key, keySchema(k).optional()])));
