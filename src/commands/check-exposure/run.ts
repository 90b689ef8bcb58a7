import type { CommandContext } from '../../cli/spec.js';
import type { CommandResult } from '../../core/result.js';
import { UsageError } from '../../core/errors.js';
import { checkOutside, type OutsideData } from '../../exposure/outside-check.js';
import { checkInside, type InsideData } from '../../exposure/inside-check.js';
import { DEFAULT_EXPOSURE_PORTS } from './spec.js';

export { render } from './render.js';

export type ExposureData = OutsideData | InsideData;

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<CommandResult<ExposureData>> {
  const ports = (opts.ports as number[] | undefined) ?? DEFAULT_EXPOSURE_PORTS;
  const timeoutMs = (opts.timeout as number | undefined) ?? 10_000;
  if (timeoutMs <= 0) throw new UsageError('--timeout must be more than 0 seconds');
  if (ports.includes(0)) throw new UsageError('--ports: port 0 cannot be checked');
  const target = args[0];
  const spinner = ctx.progress(target ? `checking ${target}` : 'checking this network from inside');
  try {
    const result = target
      ? await checkOutside({ target, ports, timeoutMs, relayTest: opts.relayTest !== false, onProgress: (t) => spinner.update(t) })
      : await checkInside({ ports, timeoutMs, upnp: opts.upnp !== false, onProgress: (t) => spinner.update(t) });
    spinner.stop();
    return result;
  } catch (e) {
    spinner.fail();
    throw e;
  }
}
