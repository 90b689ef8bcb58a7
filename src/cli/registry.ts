// Every command omr knows. Spec modules are small; implementations load lazily.
import type { CommandSpec } from './spec.js';
import { configSpec } from '../commands/config/spec.js';

export const commands: CommandSpec[] = [configSpec];
