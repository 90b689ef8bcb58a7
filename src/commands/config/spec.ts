import type { CommandSpec } from '../../cli/spec.js';
import { configGenerateSpec } from '../config-generate/spec.js';

export const configCheckSpec: CommandSpec = {
  name: 'check',
  summary: 'validate a relay config file and print the effective settings (secrets redacted)',
  description:
    'Reads FILE (or --config, or OMR_CONFIG), reports every problem at once with its line number, then shows each setting with where it came from: flag, OMR_* environment variable, file or default. Exit 2 when the file has errors.',
  args: [{ name: 'file', description: 'config file (YAML); defaults to --config or OMR_CONFIG' }],
  options: [{ flags: '--config <file>', description: 'config file, as for omr relay start', env: 'OMR_CONFIG' }],
  examples: [
    { command: 'omr config check /etc/omr/relay.yaml', description: 'validate the relay configuration before a restart' },
    { command: 'OMR_MAX_CONNECTIONS=3 omr config check relay.yaml --json', description: 'see the effective settings as JSON' },
  ],
  load: () => import('./check.js'),
};

export const configSpec: CommandSpec = {
  name: 'config',
  summary: 'generate SmartHost configuration for mail servers, or check an omr relay config file',
  manPage: 'omr-config',
  subcommands: [configGenerateSpec, configCheckSpec],
};
