// Flags derived from the relay key table: `--<key>` for every key, parsed by the same parser as
// the file and the environment. Spec files import this; it must stay light.
import type { OptionSpec } from '../cli/spec.js';
import { RELAY_KEYS, envName, isListKey, parseKeyText, type ConfigKey } from './relay-keys.js';

export function optionForKey(k: ConfigKey): OptionSpec {
  const flags = k.type === 'bool' ? `--${k.key}` : `--${k.key} <${k.valueName ?? 'value'}>`;
  return {
    flags,
    description: k.description,
    defaultText: k.defaultText ?? (k.default !== undefined && typeof k.default !== 'object' && k.type !== 'bool' ? String(k.default) : undefined),
    parse: k.type === 'bool' ? undefined : (text: string) => parseKeyText(k, text),
    repeatable: isListKey(k),
    env: envName(k.key),
    configKey: k.key,
  };
}

/** Options for `omr relay start`: --config plus one flag per key (optionally a subset). */
export function relayOptions(keys?: readonly string[]): OptionSpec[] {
  const chosen = keys ? RELAY_KEYS.filter((k) => keys.includes(k.key)) : RELAY_KEYS;
  return [{ flags: '--config <file>', description: 'relay config file (YAML); see omr.conf(5)', env: 'OMR_CONFIG' }, ...chosen.map(optionForKey)];
}
