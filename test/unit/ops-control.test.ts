import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { controlRequest, startControlServer } from '../../src/ops/control.js';
import { readQueue } from '../../src/ops/status.js';
import { tempDir } from '../helpers/tmp.js';

function rec(dir: string, state: string, id: string, createdAt: string): void {
  mkdirSync(join(dir, state), { recursive: true });
  writeFileSync(join(dir, state, `${id}.json`), JSON.stringify({ v: 1, id, createdAt, recipients: [] }));
}

describe('control socket', () => {
  it('answers queries with mode 0600 and says nothing when no relay listens', async () => {
    const t = tempDir('omr-ctl-');
    try {
      assert.equal(await controlRequest(t.path, { op: 'status' }), undefined);
      const srv = await startControlServer(t.path, { status: async () => ({ hello: 'world' }), boom: async () => { throw new Error('bad'); } });
      assert.ok(srv);
      try {
        assert.equal(statSync(srv.path).mode & 0o777, 0o600);
        assert.deepEqual(await controlRequest(t.path, { op: 'status' }), { hello: 'world' });
        await assert.rejects(controlRequest(t.path, { op: 'boom' }), /relay: bad/);
        await assert.rejects(controlRequest(t.path, { op: 'nope' }), /unknown op/);
      } finally {
        await srv.close();
      }
      assert.equal(await controlRequest(t.path, { op: 'status' }), undefined);
    } finally {
      t.cleanup();
    }
  });

  it('refuses a socket path that is too long instead of failing the relay', async () => {
    const t = tempDir('omr-ctl-');
    try {
      const deep = join(t.path, 'x'.repeat(120));
      mkdirSync(deep);
      assert.equal(await startControlServer(deep, {}), undefined);
    } finally {
      t.cleanup();
    }
  });
});

describe('readQueue', () => {
  it('counts records per state and finds the oldest message', async () => {
    const t = tempDir();
    try {
      rec(t.path, 'incoming', '00000000B01AAAAAA', '2026-11-30T10:00:00.000Z');
      rec(t.path, 'deferred', '00000000A01AAAAAA', '2026-11-30T09:00:00.000Z');
      rec(t.path, 'deferred', '00000000C01AAAAAA', '2026-11-30T11:00:00.000Z');
      rec(t.path, 'hold', '00000000D01AAAAAA', '2026-11-30T11:30:00.000Z');
      rec(t.path, 'corrupt', '000000000', '2020-01-01T00:00:00.000Z');
      writeFileSync(join(t.path, 'hold', 'not-a-record.tmp'), '');
      const q = await readQueue(t.path, Date.parse('2026-11-30T12:00:00.000Z'));
      assert.deepEqual(q.queue, { incoming: 1, active: 0, deferred: 2, hold: 1, corrupt: 1, total: 4 });
      assert.deepEqual(q.oldest, { id: '00000000A01AAAAAA', state: 'deferred', createdAt: '2026-11-30T09:00:00.000Z', ageSeconds: 3 * 3600 });
      const empty = await readQueue(join(t.path, 'missing'));
      assert.equal(empty.queue.total, 0);
      assert.equal(empty.oldest, null);
    } finally {
      t.cleanup();
    }
  });
});
