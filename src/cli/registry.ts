// Every command omr knows. Spec modules are small; implementations load lazily.
import type { CommandSpec } from './spec.js';
import { configSpec } from '../commands/config/spec.js';
import { configGenerateSpec } from '../commands/config-generate/spec.js';
import { setupSpec } from '../commands/setup/spec.js';

const config: CommandSpec = { ...configSpec, subcommands: [configGenerateSpec, ...(configSpec.subcommands ?? []).filter((s) => s.name !== 'generate')] };

export const commands: CommandSpec[] = [config, setupSpec];
