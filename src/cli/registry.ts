// Every command omr knows, in the order --help lists them. Spec modules are small;
// implementations load lazily.
import type { CommandSpec } from './spec.js';
import { testSpec } from '../commands/test/spec.js';
import { checkExposureSpec } from '../commands/check-exposure/spec.js';
import { configSpec } from '../commands/config/spec.js';
import { simulateSpec } from '../commands/simulate/spec.js';

export const commands: CommandSpec[] = [testSpec, checkExposureSpec, configSpec, simulateSpec];
