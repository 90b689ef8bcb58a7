// Crash safety: the relay runs as a child process (`node bin/omr.js relay start`) and is killed
// with SIGKILL several times while clients send; every message that got a 250 must arrive, and
// duplicates are limited to what can have been in flight (<= max-connections per kill).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { listMessages, openSpool } from '../../src/relay/queue-ops.js';
import { sendRaw, startSink, tempSpool, waitFor } from '../helpers/relay.js';

const OMR = resolve(import.meta.dirname, '../../../bin/omr.js');
const KILLS = 4;

interface Child {
  proc: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

async function startChild(args: string[], env: NodeJS.ProcessEnv): Promise<Child> {
  const proc = spawn(process.execPath, [OMR, 'relay', 'start', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let log = '';
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`relay did not start: ${log}`)), 20_000);
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"event":"relay listening".*?"listen":"127\.0\.0\.1:(\d+)"/.exec(log);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    proc.on('exit', () => rej(new Error(`relay exited early: ${log}`)));
  });
  return { proc, port, exited };
}

test('SIGKILL under load, restart on the same spool: every 250 arrives, duplicates only from in-flight', { timeout: 180_000 }, async () => {
  // A slow-ish upstream keeps deliveries in flight when the kill lands.
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!', hooks: {} });
  const spool = await tempSpool();
  const caFile = join(spool.dir, 'ca.pem');
  const pwFile = join(spool.dir, 'pw');
  await writeFile(caFile, sink.ca);
  await writeFile(pwFile, 'S3cret-pw!\n', { mode: 0o600 });
  const spoolDir = join(spool.dir, 'spool');
  const args = ['--listen', '127.0.0.1:0', '--spool', spoolDir, '--smarthost', `localhost:${sink.port}`, '--ca', caFile, '--user', 'office',
    '--password-file', pwFile, '--retry-first', '1s', '--retry-max', '2s', '--log-format', 'json', '--hostname', 'relay.test', '--client-rate', 'off'];
  const env = { ...process.env, OMR_PASSWORD: '' };
  const acked = new Set<number>();
  let next = 0;
  let child: Child | undefined;
  let sending = true;
  const children: Child[] = [];
  const sender = async (): Promise<void> => {
    while (sending) {
      const c = child;
      if (!c) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const i = next++;
      try {
        const reply = await sendRaw(c.port, 'pc@office.example', [`r${i % 7}@example.net`], `Subject: crash-${i}\r\nMessage-ID: <crash-${i}@office.example>\r\n\r\nbody ${i}\r\n`);
        if (/^250 /.test(reply)) acked.add(i);
      } catch {
        /* relay down or killed mid-session: no 250, the client would retry */
      }
    }
  };
  try {
    const senders = Array.from({ length: 8 }, () => sender());
    for (let k = 0; k < KILLS; k++) {
      child = await startChild(args, env);
      children.push(child);
      // Kill only once this incarnation is busy: some new 250s, deliveries under way.
      const before = acked.size;
      await waitFor(() => acked.size >= before + 10, 30_000, 'load on this incarnation');
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      child.proc.kill('SIGKILL');
      await child.exited;
      child = undefined;
    }
    sending = false;
    await Promise.all(senders);
    child = await startChild(args, env);
    children.push(child);
    const { spool: sp } = await openSpool(spoolDir);
    await waitFor(async () => (await listMessages(sp)).length === 0, 60_000, 'queue drained after the last restart');
    child.proc.kill('SIGTERM');
    assert.equal(await child.exited, 0, 'graceful exit on SIGTERM');
  } finally {
    sending = false;
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await sink.close();
    await spool.cleanup();
  }
  const seen = new Map<number, number>();
  for (const m of sink.messages) {
    const i = Number(/Subject: crash-(\d+)/.exec(m.raw.toString('latin1'))?.[1]);
    seen.set(i, (seen.get(i) ?? 0) + 1);
  }
  const missing = [...acked].filter((i) => !seen.has(i));
  const dups = [...seen.values()].reduce((a, n) => a + (n - 1), 0);
  assert.ok(acked.size >= KILLS * 10, `enough load (${acked.size} acknowledged)`);
  assert.deepEqual(missing, [], 'every acknowledged message arrived');
  assert.ok(dups <= KILLS * 5, `duplicates ${dups} <= ${KILLS} kills x 5 connections`);
  console.log(`# crash test: ${acked.size} acknowledged, ${sink.messages.length} delivered, ${dups} duplicate(s), ${KILLS} SIGKILLs`);
});
