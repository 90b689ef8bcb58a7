// How `omr queue` talks to a running relay: request files dropped into spool/control/ (atomic
// tmp+rename), which the relay picks up through fs.watch plus a slow poll. Works without any
// socket permissions and needs nothing when the relay is down. The pid file says who runs.
import { randomBytes } from 'node:crypto';
import { readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ControlOp = 'flush' | 'rescan' | 'hold' | 'delete';

export interface ControlRequest {
  op: ControlOp;
  /** Message ids; absent = all. */
  ids?: string[];
}

export async function sendControl(spoolRoot: string, req: ControlRequest): Promise<void> {
  const name = `${Date.now()}-${randomBytes(4).toString('hex')}`;
  const tmp = join(spoolRoot, 'tmp', `ctl-${name}`);
  await writeFile(tmp, JSON.stringify(req), { mode: 0o600 });
  await rename(tmp, join(spoolRoot, 'control', `${name}.json`));
}

/** Takes and deletes all pending requests, oldest first. */
export async function takeControl(spoolRoot: string): Promise<ControlRequest[]> {
  const dir = join(spoolRoot, 'control');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const out: ControlRequest[] = [];
  for (const n of names) {
    const p = join(dir, n);
    try {
      const req = JSON.parse(await readFile(p, 'utf8')) as ControlRequest;
      if (['flush', 'rescan', 'hold', 'delete'].includes(req.op)) out.push(req);
    } catch {
      /* unreadable request: dropped below */
    }
    await unlink(p).catch(() => undefined);
  }
  return out;
}

export const pidPath = (spoolRoot: string): string => join(spoolRoot, 'relay.pid');

export async function writePid(spoolRoot: string): Promise<void> {
  await writeFile(pidPath(spoolRoot), `${process.pid}\n`, { mode: 0o600 });
}

export async function removePid(spoolRoot: string): Promise<void> {
  const pid = await runningPid(spoolRoot);
  if (pid === process.pid) await unlink(pidPath(spoolRoot)).catch(() => undefined);
}

/** Pid of a live relay on this spool, or undefined. */
export async function runningPid(spoolRoot: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(pidPath(spoolRoot), 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** spool/status.json for `omr relay status` (advisory: written atomically, errors ignored). */
export async function writeStatusFile(spoolRoot: string, body: Record<string, unknown>): Promise<void> {
  const tmp = join(spoolRoot, 'tmp', `status.${process.pid}.json`);
  try {
    await writeFile(tmp, JSON.stringify(body) + '\n', { mode: 0o600 });
    await rename(tmp, join(spoolRoot, 'status.json'));
  } catch {
    /* status is advisory */
  }
}
