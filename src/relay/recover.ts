// Startup repair of the spool after a crash: partial writes in tmp/ are dropped, records left
// in active/ go back to incoming/ (they may have been in flight: the only duplicates we allow),
// a stale active copy of a record that already reached another queue is removed, and bodies
// no record refers to are deleted.
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { Spool } from './spool.js';

export interface RecoveryReport {
  requeued: number;
  staleActive: number;
  orphanBodies: number;
  tmpFiles: number;
}

export async function recoverSpool(spool: Spool, logger: Logger): Promise<RecoveryReport> {
  const report: RecoveryReport = { requeued: 0, staleActive: 0, orphanBodies: 0, tmpFiles: 0 };
  for (const n of await readdir(spool.dir('tmp'))) {
    await unlink(join(spool.dir('tmp'), n)).catch(() => undefined);
    report.tmpFiles++;
  }
  const elsewhere = new Set<string>();
  for (const s of ['incoming', 'deferred', 'hold', 'corrupt'] as const) for (const id of await spool.ids(s)) elsewhere.add(id);
  for (const id of await spool.ids('active')) {
    if (elsewhere.has(id)) {
      await spool.unlinkRecord('active', id);
      report.staleActive++;
    } else {
      await spool.move(id, 'active', 'incoming');
      elsewhere.add(id);
      report.requeued++;
    }
  }
  for (const n of await readdir(spool.dir('data'))) {
    if (!elsewhere.has(n)) {
      await unlink(spool.bodyPath(n)).catch(() => undefined);
      report.orphanBodies++;
    }
  }
  await spool.syncer.sync(spool.dir('incoming'));
  if (report.requeued || report.staleActive || report.orphanBodies)
    logger.warn('spool recovered after unclean stop', { ...report });
  return report;
}
