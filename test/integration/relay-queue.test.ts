// `omr queue` against a live relay (control requests) and against a stopped one (the CLI).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { deleteMessages, flushMessages, holdMessages, idsByClient, listMessages, releaseMessages } from '../../src/relay/queue-ops.js';
import { silentLogger } from '../../src/core/logger.js';
import { relayOptions, sampleMessage, sendRaw, startSink, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

const run = promisify(execFile);
const OMR = resolve(import.meta.dirname, '../../../bin/omr.js');

async function omr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [OMR, ...args], { timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('queue on a running relay: hold by client, release, flush retries at once, delete', async () => {
  let down = true;
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!', hooks: { connect: () => (down ? { code: 421, text: '4.3.2 try again later' } : undefined) } });
  const spool = await tempSpool();
  try {
    // Retries an hour apart: only a flush can bring the mail out within the test.
    await withRelay(relayOptions(spool.dir, sink, { retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 }), async (relay) => {
      const port = relay.addresses[0]!.port;
      for (let i = 0; i < 4; i++) await sendRaw(port, `pc${i}@office.example`, [`r${i}@example.net`], sampleMessage(i));
      await waitFor(async () => (await listMessages(relay.spool)).filter((m) => m.state === 'deferred').length === 4, 60_000, '4 deferred');
      const list = await listMessages(relay.spool);
      const m = list[0]!;
      assert.equal(m.client, '127.0.0.1');
      assert.equal(m.attempts, 1);
      assert.match(m.lastReply!, /^421 4\.3\.2/);
      assert.deepEqual(m.recipients[0]!.status, 'deferred');
      assert.ok(Date.parse(m.nextAttemptAt!) > Date.now() + 30 * 60_000, 'next attempt far away');

      const held = await holdMessages(relay.spool, await idsByClient(relay.spool, '127.0.0.1', ['incoming', 'deferred', 'active']), process.pid);
      assert.equal(held.done.length, 4);
      const del = await deleteMessages(relay.spool, [list[3]!.id], process.pid);
      assert.deepEqual(del.done, [list[3]!.id]);
      const rel = await releaseMessages(relay.spool, [list[0]!.id, list[1]!.id], process.pid);
      assert.equal(rel.done.length, 2);
      down = false;
      await flushMessages(relay.spool, undefined, process.pid);
      await waitFor(() => sink.messages.length === 2, 10_000, 'released + flushed mail delivered');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(sink.messages.map((x) => x.to[0]).sort(), ['r0@example.net', 'r1@example.net']);
      const left = await listMessages(relay.spool);
      assert.deepEqual(left.map((x) => [x.id, x.state]), [[list[2]!.id, 'hold']], 'held one stays held, deleted one is gone');
    });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('queue CLI on a stopped relay: list --json shape, show, hold/release/delete, exit codes', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!', hooks: { connect: () => ({ code: 421, text: '4.7.0 too many connections' }) } });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink, { retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 }), async (relay) => {
      await sendRaw(relay.addresses[0]!.port, 'boss@office.example', ['a@example.net', 'b@example.net'], sampleMessage(1));
      await waitFor(async () => (await listMessages(relay.spool)).some((m) => m.state === 'deferred'), 10_000, 'deferred');
    });
    const list = await omr(['queue', 'list', '--json', '--spool', spool.dir]);
    assert.equal(list.code, 0, list.stderr);
    const env = JSON.parse(list.stdout);
    assert.equal(env.schemaVersion, 1);
    assert.equal(env.command, 'queue list');
    assert.equal(env.ok, true);
    const [m] = env.data.messages;
    assert.deepEqual(Object.keys(m).sort(), ['attempts', 'client', 'createdAt', 'id', 'lastReply', 'nextAttemptAt', 'recipients', 'sender', 'size', 'state'].sort());
    assert.equal(m.state, 'deferred');
    assert.equal(m.sender, 'boss@office.example');
    assert.deepEqual(m.recipients.map((r: { address: string; status: string }) => [r.address, r.status]), [['a@example.net', 'deferred'], ['b@example.net', 'deferred']]);
    assert.match(m.recipients[0].lastReply, /^421 /);

    const human = await omr(['queue', 'list', '--spool', spool.dir]);
    assert.match(human.stdout, new RegExp(`${m.id}\\s+deferred`));
    assert.match(human.stdout, /last reply: 421 4\.7\.0 too many connections/);

    const show = await omr(['queue', 'show', m.id, '--spool', spool.dir]);
    assert.match(show.stdout, /Subject: test message 1/);
    assert.match(show.stdout, /Received: from /);

    const hold = await omr(['queue', 'hold', '--client', '127.0.0.1', '--json', '--spool', spool.dir]);
    assert.deepEqual(JSON.parse(hold.stdout).data.result.done, [m.id]);
    assert.equal((await omr(['queue', 'list', '--json', '--spool', spool.dir])).stdout.includes('"state": "hold"'), true);
    const rel = await omr(['queue', 'release', m.id, '--json', '--spool', spool.dir]);
    assert.deepEqual(JSON.parse(rel.stdout).data.result.done, [m.id]);

    const missing = await omr(['queue', 'show', 'NOPE', '--spool', spool.dir]);
    assert.equal(missing.code, 1);
    const usage = await omr(['queue', 'delete', '--spool', spool.dir]);
    assert.equal(usage.code, 2);
    const del = await omr(['queue', 'delete', '--all', '--json', '--spool', spool.dir]);
    assert.deepEqual(JSON.parse(del.stdout).data.result.done, [m.id]);
    assert.equal(JSON.parse((await omr(['queue', 'list', '--json', '--spool', spool.dir])).stdout).data.messages.length, 0);
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});

test('queue on a running relay: messages still in its journal are listed, held and deleted through the relay', async () => {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  let holdBack = true;
  try {
    // Sending held back and an active set of one: the fresh mail stays in the relay's journal.
    const opts = relayOptions(spool.dir, sink, { maxActive: 1 });
    await withRelay(opts, async (relay) => {
      const port = relay.addresses[0]!.port;
      for (let i = 0; i < 3; i++) await sendRaw(port, `pc${i}@office.example`, [`j${i}@example.net`], sampleMessage(i));
      assert.equal(relay.spool.journal!.live, 3, 'all three are in the journal');
      assert.deepEqual(await relay.spool.ids('incoming'), [], 'none has spool files');
      const list = await listMessages(relay.spool);
      assert.deepEqual(list.map((m) => [m.state, m.recipients[0]!.address]), [0, 1, 2].map((i) => ['incoming', `j${i}@example.net`]));
      assert.deepEqual((await idsByClient(relay.spool, '127.0.0.1', ['incoming'])).sort(), list.map((m) => m.id));

      const held = await holdMessages(relay.spool, [list[0]!.id, list[2]!.id], process.pid);
      assert.deepEqual(held.requested.sort(), [list[0]!.id, list[2]!.id].sort());
      const del = await deleteMessages(relay.spool, [list[1]!.id], process.pid);
      assert.deepEqual(del.requested, [list[1]!.id]);
      await waitFor(async () => (await relay.spool.ids('hold')).length === 2 && relay.spool.journal!.live === 0, 10_000, 'held into hold/, deleted one gone');
      const left = await listMessages(relay.spool);
      assert.deepEqual(left.map((m) => [m.id, m.state]), [[list[0]!.id, 'hold'], [list[2]!.id, 'hold']]);
      // Held mail keeps its exact body: release it and let it go.
      holdBack = false;
      await releaseMessages(relay.spool, [list[0]!.id, list[2]!.id], process.pid);
      await waitFor(() => sink.messages.length === 2, 10_000, 'released mail delivered');
      assert.deepEqual(sink.messages.map((m) => m.to[0]).sort(), ['j0@example.net', 'j2@example.net']);
    }, silentLogger, { sendGate: () => (holdBack ? { waitMs: 200, reason: 'test holds sending back' } : undefined) });
  } finally {
    await sink.close();
    await spool.cleanup();
  }
});
