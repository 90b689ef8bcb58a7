// Every command omr knows. Spec modules are small; implementations load lazily.
import type { CommandSpec } from './spec.js';
import { configSpec } from '../commands/config/spec.js';
import { relaySpec } from '../commands/relay/spec.js';
import { queueSpec } from '../commands/queue/spec.js';

export const commands: CommandSpec[] = [relaySpec, queueSpec, configSpec];
