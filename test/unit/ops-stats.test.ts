import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClientStats, DAY, HOUR } from '../../src/ops/client-stats.js';
import { EventLog, readEvents } from '../../src/ops/events.js';
import { normalizeIp, traceClient } from '../../src/ops/trace.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

describe('ClientStats', () => {
  it('counts per client over the last hour and the last day, with distinct domains and senders', () => {
    let now = T0;
    const s = new ClientStats(undefined, { clock: () => now });
    s.session('10.0.0.5');
    s.message('10.0.0.5', { sender: 'a@x.test', recipients: ['1@one.test', '2@two.test', '3@two.test'], bytes: 100 });
    s.reject('10.0.0.5');
    now += 2 * HOUR;
    s.session('10.0.0.5');
    s.message('10.0.0.5', { sender: 'B@x.test', recipients: ['4@three.test'], bytes: 50 });
    s.message('10.0.0.6', { sender: 'c@x.test', recipients: ['5@one.test'], bytes: 10 });
    s.message('10.0.0.6', { sender: 'c@x.test', recipients: ['6@one.test'], bytes: 10 });
    const hour = s.query(HOUR);
    assert.deepEqual(hour.map((r) => [r.client, r.messages]), [['10.0.0.6', 2], ['10.0.0.5', 1]]);
    const day = s.query(DAY).find((r) => r.client === '10.0.0.5')!;
    assert.deepEqual(
      { sessions: day.sessions, messages: day.messages, recipients: day.recipients, domains: day.domains, senders: day.senders, bytes: day.bytes, rejects: day.rejects },
      { sessions: 2, messages: 2, recipients: 4, domains: 3, senders: 2, bytes: 150, rejects: 1 },
    );
    assert.equal(day.lastSeen, new Date(now).toISOString());
    const rank = s.ranking();
    assert.equal(rank[0]!.client, '10.0.0.6');
    assert.equal(rank[1]!.hour.messages, 1);
    assert.equal(rank[1]!.day.messages, 2);
    now += DAY + HOUR;
    assert.deepEqual(s.query(DAY), []);
  });

  it('survives a restart through its snapshot', async () => {
    const t = tempDir();
    try {
      const file = join(t.path, 'clients.json');
      const now = T0;
      const a = new ClientStats(file, { clock: () => now });
      for (let i = 0; i < 5; i++) a.message('192.168.1.20', { sender: 's@x.test', recipients: ['r@y.test'], bytes: 1 });
      await a.close();
      const b = new ClientStats(file, { clock: () => now + 60_000 });
      await b.load();
      assert.equal(b.query(HOUR)[0]!.messages, 5);
      assert.equal(b.query(HOUR)[0]!.domains, 1);
    } finally {
      t.cleanup();
    }
  });

  it('stays bounded: clients are evicted and distinct sets capped', () => {
    const s = new ClientStats(undefined, { maxClients: 3, maxDistinct: 5, clock: () => T0 });
    for (let i = 0; i < 10; i++) s.message(`10.0.0.${i}`, { sender: 'a@b.test', recipients: ['x@y.test'], bytes: 1 });
    assert.equal(s.query(HOUR).length, 3);
    s.message('10.0.0.9', { sender: 'a@b.test', recipients: Array.from({ length: 50 }, (_, i) => `u@d${i}.test`), bytes: 1 });
    assert.equal(s.query(HOUR).find((r) => r.client === '10.0.0.9')!.domains, 5);
    assert.equal(JSON.stringify(s.toJSON()).length < 5000, true);
  });
});

describe('event log and trace', () => {
  it('lists what one client sent with the upstream replies, filtered by time', async () => {
    const t = tempDir();
    try {
      let now = T0;
      const log = new EventLog(t.path, () => now);
      log.append({ ev: 'queued', id: 'Q1', client: '10.0.0.5', sender: 'a@x.test', rcpts: ['r@y.test'], size: 10, subject: 'Invoice' });
      now += 1000;
      log.append({ ev: 'queued', id: 'Q2', client: '10.0.0.6', sender: 'b@x.test', rcpts: ['r@y.test'], size: 10 });
      log.append({ ev: 'reject', client: '10.0.0.5', reason: 'rate-messages', reply: '451 4.7.1 slow down', sender: 'a@x.test' });
      now += 1000;
      log.append({ ev: 'delivery', id: 'Q1', client: '10.0.0.5', outcome: 'deferred', reply: '421 4.3.2 busy', rcpts: 1 });
      now = T0 + DAY; // next day's file
      log.append({ ev: 'delivery', id: 'Q1', client: '10.0.0.5', outcome: 'delivered', reply: '250 2.0.0 Ok: queued as S1', rcpts: 1 });
      log.append({ ev: 'duplicate', id: 'Q3', client: '10.0.0.5', sender: 'a@x.test', rcpts: ['r@y.test'], size: 10, first: 'Q1' });
      await log.close();

      const rows = await traceClient(t.path, '::ffff:10.0.0.5', T0 - HOUR);
      assert.deepEqual(rows.map((r) => [r.status, r.id]), [['queued', 'Q1'], ['refused', ''], ['duplicate', 'Q3']]);
      assert.equal(rows[0]!.subject, 'Invoice');
      assert.deepEqual(rows[0]!.deliveries.map((d) => d.outcome), ['deferred', 'delivered']);
      assert.equal(rows[0]!.upstream, '250 2.0.0 Ok: queued as S1');
      assert.equal(rows[1]!.reason, 'rate-messages');
      assert.equal(rows[2]!.duplicateOf, 'Q1');
      const later = await traceClient(t.path, '10.0.0.5', T0 + HOUR);
      assert.deepEqual(later.map((r) => r.id), ['Q3']);
      assert.equal((await readEvents(t.path, 0)).length, 6);
    } finally {
      t.cleanup();
    }
  });

  it('normalises addresses and refuses non-addresses', () => {
    assert.equal(normalizeIp('::ffff:192.168.1.4'), '192.168.1.4');
    assert.equal(normalizeIp('fd00:0::1'), 'fd00::1');
    assert.throws(() => normalizeIp('pc7.lan'));
  });
});
