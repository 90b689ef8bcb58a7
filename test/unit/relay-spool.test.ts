import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import { DirSyncer } from '../../src/relay/fsync.js';
import { recoverSpool } from '../../src/relay/recover.js';
import { Spool } from '../../src/relay/spool.js';
import type { QueueRecord } from '../../src/relay/types.js';

async function withSpool(fn: (s: Spool) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'omr-spool-unit-'));
  try {
    const s = new Spool(join(dir, 'spool'));
    await s.init();
    await fn(s);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rec = (id: string, over: Partial<QueueRecord> = {}): QueueRecord => ({
  v: 1, id, sender: 's@x', recipients: [{ address: 'r@x', status: 'pending' }], size: 3, createdAt: new Date().toISOString(),
  attempts: 0, nextAttemptAt: new Date().toISOString(), client: '10.0.0.1', ...over,
});

test('spool dirs are created 0700; ids are unique and time-sortable', async () => {
  await withSpool(async (s) => {
    assert.equal((await stat(s.root)).mode & 0o777, 0o700);
    const ids = Array.from({ length: 500 }, () => s.newId());
    assert.equal(new Set(ids).size, 500);
    assert.deepEqual([...ids].sort(), ids);
  });
});

test('records move atomically between queues; a second mover loses', async () => {
  await withSpool(async (s) => {
    await s.writeRecord('incoming', rec('A'));
    assert.equal(await s.move('A', 'incoming', 'active'), true);
    assert.equal(await s.move('A', 'incoming', 'hold'), false);
    assert.equal(await s.locate('A'), 'active');
    const due = Date.now() + 3_600_000;
    await s.writeRecord('deferred', rec('B', { nextAttemptAt: new Date(due).toISOString() }));
    const idx = await s.scan();
    assert.equal(Math.round(idx.find((e) => e.id === 'B')!.due / 1000), Math.round(due / 1000), 'mtime carries the due time');
  });
});

test('group commit: concurrent syncs of one directory share fsync calls', async () => {
  await withSpool(async (s) => {
    const syncer = new DirSyncer();
    await Promise.all(Array.from({ length: 50 }, () => syncer.sync(s.dir('incoming'))));
    assert.ok(syncer.syncs >= 1 && syncer.syncs <= 3, `${syncer.syncs} fsyncs for 50 waiters`);
  });
});

test('recovery: active back to incoming, stale active copies dropped, orphan bodies and tmp removed', async () => {
  await withSpool(async (s) => {
    for (const id of ['A', 'B', 'C']) await writeFile(s.bodyPath(id), 'x');
    await writeFile(s.bodyPath('ORPHAN'), 'x');
    await writeFile(join(s.dir('tmp'), 'partial'), 'x');
    await s.writeRecord('active', rec('A'));
    await s.writeRecord('active', rec('B'));
    await s.writeRecord('deferred', rec('B', { attempts: 2 }));
    await s.writeRecord('hold', rec('C'));
    const r = await recoverSpool(s, silentLogger);
    assert.deepEqual(r, { requeued: 1, staleActive: 1, orphanBodies: 1, tmpFiles: 1 });
    assert.deepEqual(await s.ids('incoming'), ['A']);
    assert.equal((await s.readRecord('deferred', 'B')).attempts, 2);
    assert.deepEqual((await readdir(s.dir('data'))).sort(), ['A', 'B', 'C']);
  });
});

test('spool write errors map to 452 (disk full) and 451 (anything else), never 5xx', async () => {
  const { SpoolWriteError } = await import('../../src/relay/store.js');
  const full = new SpoolWriteError(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
  assert.equal(full.responseCode, 452);
  assert.match(full.message, /^4\.3\.1 Insufficient system storage/);
  assert.equal(new SpoolWriteError(Object.assign(new Error('quota'), { code: 'EDQUOT' })).responseCode, 452);
  assert.equal(new SpoolWriteError(new Error('EIO')).responseCode, 451);
});
