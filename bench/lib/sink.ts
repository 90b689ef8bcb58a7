// The upstream stand-in: Postfix's smtp-sink on loopback, handling at most `maxConnections`
// sessions at once (more wait in the listen backlog, so a relay that opens more gains nothing).
// Its running counter (-c: "sess=N quit=N mesg=N\r") tells how many messages it has accepted.
import { spawn, type ChildProcess } from 'node:child_process';
import { HOST, freePort, requireTool, sleep, stopChild, waitForBanner } from './proc.js';

export interface Sink {
  port: number;
  /** Messages the sink has accepted so far. */
  count(): number;
  /** Resolves with the time (performance.now()) the count reached n; rejects when it stalls. */
  waitFor(n: number, stallMs: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startSink(maxConnections: number): Promise<Sink> {
  const bin = requireTool('smtp-sink', 'postfix');
  const port = await freePort();
  // -u: smtp-sink refuses to run as root without a user to switch to.
  const args = ['-c', '-m', String(maxConnections), `${HOST}:${port}`, '1024'];
  if (process.getuid?.() === 0) args.unshift('-u', 'nobody');
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let count = 0;
  let tail = '';
  let reachedAt = 0;
  let target = Infinity;
  const onText = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('latin1')).slice(-200);
    const m = /mesg=(\d+)\s*$/.exec(tail.replace(/\r/g, '\n').trimEnd());
    if (m) count = Number(m[1]);
    if (count >= target && !reachedAt) reachedAt = performance.now();
  };
  child.stdout!.on('data', onText);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  try {
    await waitForBanner(port, 5000);
  } catch (e) {
    await stopChild(child);
    throw new Error(`smtp-sink did not start: ${err.trim() || (e as Error).message}`);
  }
  // The banner probe itself is a session; only messages count, so nothing to subtract.
  return {
    port,
    count: () => count,
    async waitFor(n, stallMs) {
      target = n;
      if (count >= n) return (reachedAt ||= performance.now());
      let last = count;
      let lastChange = performance.now();
      while (count < n) {
        await sleep(5);
        if (count !== last) {
          last = count;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > stallMs) {
          throw new Error(`sink stalled at ${count}/${n} messages for ${stallMs} ms`);
        }
      }
      return reachedAt || performance.now();
    },
    stop: () => stopChild(child, 2000),
  };
}
