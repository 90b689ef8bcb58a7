// Every command omr knows. Spec modules are small; implementations load lazily.
import type { CommandSpec } from './spec.js';
import { configSpec } from '../commands/config/spec.js';
import { testSpec } from '../commands/test/spec.js';

export const commands: CommandSpec[] = [configSpec, testSpec];
