// Every command omr knows, in the order --help lists them. Spec modules are small;
// implementations load lazily.
import type { CommandSpec } from './spec.js';
import { relaySpec } from '../commands/relay/spec.js';
import { queueSpec } from '../commands/queue/spec.js';
import { testSpec } from '../commands/test/spec.js';
import { checkExposureSpec } from '../commands/check-exposure/spec.js';
import { setupSpec } from '../commands/setup/spec.js';
import { configSpec } from '../commands/config/spec.js';
import { simulateSpec } from '../commands/simulate/spec.js';

export const commands: CommandSpec[] = [relaySpec, queueSpec, testSpec, checkExposureSpec, setupSpec, configSpec, simulateSpec];
