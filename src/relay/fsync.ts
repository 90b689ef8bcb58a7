// Group commit for directory fsyncs: every caller that renamed/created an entry in a directory
// waits for one fsync of that directory that *started after* its change. Concurrent sessions
// therefore share fsyncs instead of queueing one each, and nobody is acknowledged early.
import { open } from 'node:fs/promises';

interface DirState {
  running: Promise<void> | null;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
}

export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();
  /** Number of fsync(2) calls made on directories (for tests and benchmarks). */
  syncs = 0;

  sync(dir: string): Promise<void> {
    let st = this.dirs.get(dir);
    if (!st) {
      st = { running: null, waiters: [] };
      this.dirs.set(dir, st);
    }
    const state = st;
    return new Promise<void>((resolve, reject) => {
      state.waiters.push({ resolve, reject });
      if (!state.running) this.run(dir, state);
    });
  }

  private run(dir: string, st: DirState): void {
    const batch = st.waiters.splice(0);
    st.running = fsyncDir(dir).then(
      () => batch.forEach((w) => w.resolve()),
      (e) => batch.forEach((w) => w.reject(e)),
    ).finally(() => {
      this.syncs++;
      st.running = null;
      if (st.waiters.length) this.run(dir, st);
    });
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
