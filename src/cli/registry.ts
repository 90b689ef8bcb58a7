// Every command omr knows. Spec modules are small; implementations load lazily.
import type { CommandSpec } from './spec.js';
import { configSpec } from '../commands/config/spec.js';
import { simulateSpec } from '../commands/simulate/spec.js';

export const commands: CommandSpec[] = [configSpec, simulateSpec];
