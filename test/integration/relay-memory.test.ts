// Streaming: a 25 MiB message through the relay (a child process, so its memory is its own)
// must not cost 25 MiB of memory. The client streams the body; the upstream sink discards it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { tempSpool, testTls, waitFor } from '../helpers/relay.js';

const OMR = resolve(import.meta.dirname, '../../../bin/omr.js');
const MIB = 1024 * 1024;

function bodyStream(totalBytes: number): { stream: Readable; digest: Promise<string> } {
  const line = Buffer.from('x'.repeat(998) + '\r\n');
  const hash = createHash('sha256');
  let sent = 0;
  let done: (d: string) => void;
  const digest = new Promise<string>((r) => (done = r));
  const head = Buffer.from('Subject: big\r\n\r\n');
  hash.update(head);
  let first = true;
  const stream = new Readable({
    read() {
      if (first) {
        first = false;
        this.push(head);
        return;
      }
      if (sent >= totalBytes) {
        done(hash.digest('hex'));
        this.push(null);
        return;
      }
      const chunk = Buffer.concat(Array.from({ length: 64 }, () => line));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest };
}

async function vmHwmKiB(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(s)![1]);
}

test('a 25 MiB message adds < 32 MiB to the relay process (streamed in and out)', { timeout: 120_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('needs /proc');
  const tls = await testTls();
  const received: { digest?: string; bytes: number } = { bytes: 0 };
  const sink = new SMTPServer({
    key: tls.key, cert: tls.cert, logger: false, authOptional: true, disabledCommands: ['AUTH'], size: 64 * MIB,
    onData(stream, _s, cb) {
      const h = createHash('sha256');
      let skipping = true;
      let pending = '';
      stream.on('data', (c: Buffer) => {
        received.bytes += c.length;
        if (!skipping) return h.update(c);
        // Hash from after our Received header (first header field) on.
        pending += c.toString('latin1');
        const m = /\r\n(?![ \t])/g;
        if (m.exec(pending)) {
          skipping = false;
          h.update(Buffer.from(pending.slice(m.lastIndex), 'latin1'));
        }
      });
      stream.on('end', () => {
        received.digest = h.digest('hex');
        cb();
      });
    },
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const sinkPort = (sink.server.address() as { port: number }).port;
  const spool = await tempSpool();
  const ca = join(spool.dir, 'ca.pem');
  await writeFile(ca, tls.ca);
  const child = spawn(process.execPath, [OMR, 'relay', 'start', '--listen', '127.0.0.1:0', '--spool', join(spool.dir, 's'), '--smarthost', `localhost:${sinkPort}`,
    '--ca', ca, '--max-message-size', '40MiB', '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor(() => /"event":"relay listening"/.test(log), 20_000, 'relay start');
    const port = Number(/"listen":"127\.0\.0\.1:(\d+)"/.exec(log)![1]);
    await new Promise((r) => setTimeout(r, 500));
    const base = await vmHwmKiB(child.pid!);
    const { stream, digest } = bodyStream(25 * MIB);
    const tr = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true } as never);
    const info = (await tr.sendMail({ envelope: { from: 'a@office.example', to: ['b@example.net'] }, raw: stream } as never)) as { response: string };
    tr.close();
    assert.match(info.response, /^250 /);
    await waitFor(() => received.digest !== undefined, 60_000, 'upstream received it');
    assert.equal(received.digest, await digest, 'body intact');
    const peak = await vmHwmKiB(child.pid!);
    const grewMiB = (peak - base) / 1024;
    console.log(`# 25 MiB message: relay peak RSS grew by ${grewMiB.toFixed(1)} MiB (base ${(base / 1024).toFixed(1)} MiB)`);
    assert.ok(grewMiB < 32, `peak RSS grew by ${grewMiB.toFixed(1)} MiB`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await new Promise<void>((r) => sink.close(() => r()));
    await spool.cleanup();
  }
});
