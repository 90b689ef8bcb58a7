// The relay's own upstream SMTP client (src/relay/upstream via Lane) against real servers on
// 127.0.0.1: smtp-server sinks (test/helpers/relay.ts) and the OMR simulator. Checks exact
// bytes, pipelining and per-recipient results, connection reuse, TLS/AUTH safety and that each
// failure classifies as the relay's policy expects.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { Readable } from 'node:stream';
import test from 'node:test';
import { SMTPServer } from 'smtp-server';
import { classify } from '../../src/relay/classify.js';
import { Lane, type SendResult } from '../../src/relay/deliver.js';
import type { RelayOptions } from '../../src/relay/types.js';
import { BodyFile } from '../../src/relay/upstream/file-body.js';
import { relayOptions, startSink, type Sink } from '../helpers/relay.js';
import { SIM_PASSWORD, SIM_USER, withSimulator, type TestSimulator } from '../helpers/simulator.js';

const plain = (sink: Sink, over: Partial<RelayOptions> = {}): RelayOptions => relayOptions('/nonexistent', sink, { tls: 'none', user: undefined, password: undefined, ...over });

async function withSink(opts: Parameters<typeof startSink>[0], fn: (s: Sink) => Promise<void>): Promise<void> {
  const sink = await startSink(opts);
  try {
    await fn(sink);
  } finally {
    await sink.close();
  }
}

async function withLane(opts: RelayOptions, fn: (l: Lane) => Promise<void>): Promise<void> {
  const lane = new Lane(opts, 1);
  try {
    await fn(lane);
  } finally {
    lane.close();
  }
}

const outcome = (r: SendResult): string => (r.error ? classify(r.error).outcome : 'ok');

function simOptions(sim: TestSimulator, over: Partial<RelayOptions> = {}): RelayOptions {
  return relayOptions('/nonexistent', { port: sim.port, ca: sim.caPem }, { user: SIM_USER, password: SIM_PASSWORD, ...over });
}

const TRICKY = Buffer.from('Subject: dots\r\n\r\n.first\r\n..second\r\n.\r\nmiddle . line\r\n.\r\n...\r\nlast line without CRLF.', 'latin1');

test('messages arrive byte-identical (leading dots), many over one connection, pipelined', async () => {
  await withSink({ tls: false }, async (sink) => {
    await withLane(plain(sink), async (lane) => {
      for (let i = 0; i < 20; i++) {
        const body = Buffer.concat([Buffer.from(`Message-ID: <${i}@t>\r\n`), TRICKY]);
        // Alternate in-memory and streamed bodies (the stream cut at awkward places).
        const src = i % 2 ? body : Readable.from([body.subarray(0, 20 + i), body.subarray(20 + i, 40), body.subarray(40)]);
        const r = await lane.send('a@office.example', [`r${i}@example.net`], src);
        assert.equal(r.error, undefined, JSON.stringify(r.error));
        assert.deepEqual(r.accepted, [`r${i}@example.net`]);
        assert.match(r.response ?? '', /^250 /);
      }
      assert.equal(sink.messages.length, 20);
      for (let i = 0; i < 20; i++) {
        // smtp-server un-stuffs; the missing final CRLF is added, nothing else changes.
        const want = Buffer.concat([Buffer.from(`Message-ID: <${i}@t>\r\n`), TRICKY, Buffer.from('\r\n')]);
        assert.equal(sink.messages[i]!.raw.toString('latin1'), want.toString('latin1'));
      }
      assert.equal(sink.totalConnections, 1, 'one connection for all messages');
      assert.equal(lane.connections, 1);
    });
  });
});

test('per-recipient 5xx and 4xx: the others get the message; all refused: no DATA, RSET, next message fine', async () => {
  const hooks = { rcpt: (a: string) => (a.startsWith('bad') ? { code: 550, text: '5.1.1 no such user' } : a.startsWith('busy') ? { code: 450, text: '4.2.0 mailbox busy' } : undefined) };
  for (const pipelining of [true, false]) {
    await withSink({ tls: false, hooks, pipelining }, async (sink) => {
      await withLane(plain(sink), async (lane) => {
        const r = await lane.send('a@x.example', ['ok1@y', 'bad@y', 'busy@y', 'ok2@y'], Buffer.from('hi\r\n'));
        assert.equal(r.error, undefined);
        assert.deepEqual(r.accepted, ['ok1@y', 'ok2@y']);
        assert.deepEqual(r.rejected.map((x) => [x.address, x.failure.responseCode, x.failure.command, classify(x.failure).outcome]), [
          ['bad@y', 550, 'RCPT TO', 'fail'],
          ['busy@y', 450, 'RCPT TO', 'defer'],
        ]);
        assert.match(r.rejected[0]!.failure.response ?? '', /550 5\.1\.1 no such user/);
        const none = await lane.send('a@x.example', ['bad@y', 'bad2@y'], Buffer.from('never\r\n'));
        assert.deepEqual(none.accepted, []);
        assert.equal(none.rejected.length, 2);
        assert.equal(none.error, undefined);
        const again = await lane.send('a@x.example', ['ok3@y'], Buffer.from('after\r\n'));
        assert.deepEqual(again.accepted, ['ok3@y']);
        assert.deepEqual(sink.messages.map((m) => m.to), [['ok1@y', 'ok2@y'], ['ok3@y']]);
        assert.equal(sink.totalConnections, 1);
      });
    });
  }
});

/** A scripted server: greets, answers EHLO with `ehlo` lines, logs every line it receives. */
async function withScript(ehlo: string[], answer: (line: string, sock: net.Socket) => void, fn: (port: number, lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const socks = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    socks.add(sock);
    sock.on('error', () => undefined);
    let buf = '';
    let inData = false;
    sock.write('220 script ESMTP\r\n');
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        lines.push(line);
        if (inData) {
          if (line === '.') {
            inData = false;
            sock.write('250 2.0.0 queued\r\n');
          }
        } else if (/^EHLO/i.test(line)) sock.write(ehlo.map((l, i) => `250${i === ehlo.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
        else if (line === 'DATA') {
          inData = true;
          sock.write('354 go\r\n');
        } else answer(line, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn((server.address() as net.AddressInfo).port, lines);
  } finally {
    for (const s of socks) s.destroy();
    await new Promise((r) => server.close(r));
  }
}

test('without PIPELINING commands go one at a time; SIZE= is sent when advertised', async () => {
  let outstanding = 0;
  let maxOutstanding = 0;
  const ok = (line: string, sock: net.Socket): void => {
    outstanding++;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    setTimeout(() => {
      outstanding--;
      sock.write(line === 'QUIT' ? '221 bye\r\n' : '250 ok\r\n');
    }, 5);
  };
  await withScript(['script', 'SIZE 1000000'], ok, async (port, lines) => {
    await withLane(relayOptions('/x', { port, ca: '' }, { tls: 'none', user: undefined, ca: undefined, smarthost: { host: '127.0.0.1', port } }), async (lane) => {
      const r = await lane.send('a@x', ['b@y', 'c@y'], Buffer.from('body\r\n'));
      assert.deepEqual(r.accepted, ['b@y', 'c@y']);
      const big = await lane.send('a@x', ['b@y'], Buffer.alloc(2_000_000, 0x61));
      assert.equal(big.error?.code, 'EMESSAGE');
      assert.equal(classify(big.error!).rule, 'message-too-big');
    });
    assert.equal(maxOutstanding, 1, 'never more than one command in flight');
    assert.ok(lines.includes('MAIL FROM:<a@x> SIZE=6'), lines.join('|'));
  });
});

test('with PIPELINING the envelope goes out in one write (the server sees all before answering)', async () => {
  const pending: string[] = [];
  const answer = (line: string, sock: net.Socket): void => {
    if (line === 'QUIT') return void sock.write('221 bye\r\n');
    pending.push(line);
    // Answer only when the whole group (MAIL + 2 RCPT; DATA is answered by the script) is in.
    if (pending.length === 3) sock.write('250 ok\r\n250 ok\r\n250 ok\r\n');
  };
  await withScript(['script', 'PIPELINING'], answer, async (port) => {
    await withLane(relayOptions('/x', { port, ca: '' }, { tls: 'none', user: undefined, ca: undefined, smarthost: { host: '127.0.0.1', port }, upstreamTimeoutMs: 2000 }), async (lane) => {
      const r = await lane.send('a@x', ['b@y', 'c@y'], Buffer.from('body\r\n'));
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.deepEqual(r.accepted, ['b@y', 'c@y']);
      assert.deepEqual(pending, ['MAIL FROM:<a@x>', 'RCPT TO:<b@y>', 'RCPT TO:<c@y>']);
    });
  });
});

test('STARTTLS + AUTH against the simulator; verified certificate; reuse across messages', async () => {
  await withSimulator({}, async (sim) => {
    await withLane(simOptions(sim), async (lane) => {
      for (let i = 0; i < 5; i++) {
        const r = await lane.send('pc@office.example', [`to${i}@example.net`], TRICKY);
        assert.equal(r.error, undefined, JSON.stringify(r.error));
      }
      const msgs = await sim.waitForMessages(5, 5000);
      assert.ok(msgs.every((m) => m.tls !== null && m.user === SIM_USER));
      assert.equal(msgs[0]!.raw?.toString('latin1'), TRICKY.toString('latin1') + '\r\n');
      assert.equal(sim.stats().connections.total, 1);
    });
    // An unknown CA: the certificate does not verify, nothing is sent.
    await withLane(simOptions(sim, { ca: undefined }), async (lane) => {
      const r = await lane.send('pc@office.example', ['x@example.net'], Buffer.from('x\r\n'));
      assert.equal(r.error?.code, 'ETLS');
      assert.equal(outcome(r), 'defer');
    });
  });
});

test('STARTTLS to a server that offers no AUTH: no AUTH sent, mail goes through inside TLS', async () => {
  await withSink({}, async (sink) => {
    await withLane(relayOptions('/x', sink, { user: 'office', password: 'S3cret-pw!' }), async (lane) => {
      const r = await lane.send('a@x', ['b@y'], Buffer.from('x\r\n'));
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal(sink.messages[0]!.secure, true);
      assert.equal(sink.authAttempts, 0);
    });
  });
});

test('implicit TLS against the simulator', async () => {
  await withSimulator({ tlsPort: 0 }, async (sim) => {
    await withLane(simOptions(sim, { tls: 'implicit', smarthost: { host: 'localhost', port: sim.tlsPort! } }), async (lane) => {
      const r = await lane.send('pc@office.example', ['a@example.net'], Buffer.from('hello\r\n'));
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal((await sim.waitForMessages(1, 5000))[0]!.tls !== null, true);
    });
  });
});

test('wrong password pauses; 421 greeting throttles; the password is in no error', async () => {
  await withSimulator({}, async (sim) => {
    await withLane(simOptions(sim, { password: 'Wrong-pw-123' }), async (lane) => {
      const r = await lane.send('pc@office.example', ['a@example.net'], Buffer.from('x\r\n'));
      assert.equal(r.error?.code, 'EAUTH');
      assert.equal(classify(r.error!).outcome, 'pause');
      assert.ok(!JSON.stringify(r).includes('Wrong-pw-123'));
      assert.ok(!JSON.stringify(r).includes(Buffer.from('Wrong-pw-123').toString('base64')));
    });
    sim.inject({ kind: 'greeting421', count: 1 });
    await withLane(simOptions(sim), async (lane) => {
      const r = await lane.send('pc@office.example', ['a@example.net'], Buffer.from('x\r\n'));
      assert.equal(r.error?.responseCode, 421);
      assert.equal(r.error?.command, 'CONN');
      assert.equal(classify(r.error!).rule, '421-busy');
      // The next send opens a fresh connection and goes through.
      const ok = await lane.send('pc@office.example', ['a@example.net'], Buffer.from('x\r\n'));
      assert.equal(ok.error, undefined, JSON.stringify(ok.error));
    });
  });
});

test('connection dropped mid-DATA: network defer, not retried on the same attempt; next send reconnects', async () => {
  await withSimulator({}, async (sim) => {
    await withLane(simOptions(sim), async (lane) => {
      assert.equal((await lane.send('pc@office.example', ['a@example.net'], Buffer.from('first\r\n'))).error, undefined);
      sim.inject({ kind: 'dropMidData', count: 1 });
      const r = await lane.send('pc@office.example', ['b@example.net'], Readable.from([Buffer.alloc(256 * 1024, 0x61)]));
      assert.equal(r.error?.code, 'ECONNECTION');
      assert.equal(classify(r.error!).outcome, 'defer');
      assert.equal(lane.connections, 1, 'a body already on the wire is not resent by the lane itself');
      const ok = await lane.send('pc@office.example', ['c@example.net'], Buffer.from('third\r\n'));
      assert.equal(ok.error, undefined, JSON.stringify(ok.error));
      assert.equal(lane.connections, 2);
      assert.deepEqual(sim.messages().map((m) => m.envelope.rcptTo), [['a@example.net'], ['c@example.net']]);
    });
  });
});

test('STARTTLS stripped: ETLS, and neither AUTH nor MAIL is ever sent', async () => {
  const events: string[] = [];
  await withSimulator({ onEvent: (e) => events.push(e.type) }, async (sim) => {
    sim.inject({ kind: 'stripStarttls', count: 5 });
    await withLane(simOptions(sim), async (lane) => {
      const r = await lane.send('pc@office.example', ['a@example.net'], Buffer.from('x\r\n'));
      assert.equal(r.error?.code, 'ETLS');
      assert.equal(classify(r.error!).outcome, 'defer');
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(events.includes('connect'));
    assert.ok(!events.includes('auth') && !events.includes('mail'), events.join(','));
  });
});

test('4xx after DATA defers, 5xx after DATA fails, and the connection keeps working', async () => {
  const hooks = { data: (n: number) => (n === 1 ? { code: 451, text: '4.3.0 try later' } : n === 2 ? { code: 554, text: '5.6.0 content rejected' } : undefined) };
  await withSink({ tls: false, hooks }, async (sink) => {
    await withLane(plain(sink), async (lane) => {
      const a = await lane.send('a@x', ['b@y'], Buffer.from('1\r\n'));
      assert.equal(a.error?.command, 'DATA');
      assert.equal(classify(a.error!).rule, 'message-4xx');
      const b = await lane.send('a@x', ['b@y'], Buffer.from('2\r\n'));
      assert.equal(classify(b.error!).rule, 'message-5xx');
      const c = await lane.send('a@x', ['b@y'], Buffer.from('3\r\n'));
      assert.equal(c.error, undefined);
      assert.equal(sink.totalConnections, 1);
    });
  });
});

test('a silent server times out (ETIMEDOUT, defer) within the bound', async () => {
  const socks: net.Socket[] = [];
  const server = net.createServer((s) => void socks.push(s.on('error', () => undefined)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await withLane(relayOptions('/x', { port, ca: '' }, { tls: 'none', user: undefined, smarthost: { host: '127.0.0.1', port }, upstreamTimeoutMs: 300 }), async (lane) => {
      const t0 = Date.now();
      const r = await lane.send('a@x', ['b@y'], Buffer.from('x\r\n'));
      assert.equal(r.error?.code, 'ETIMEDOUT');
      assert.equal(classify(r.error!).outcome, 'defer');
      assert.ok(Date.now() - t0 < 3000);
    });
  } finally {
    for (const s of socks) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

test('a kept connection the server dropped is replaced once, transparently (before any body byte)', async () => {
  const mails = new Map<net.Socket, number>();
  const answer = (line: string, sock: net.Socket): void => {
    if (line.startsWith('MAIL')) {
      mails.set(sock, (mails.get(sock) ?? 0) + 1);
      // The first connection dies at its second MAIL, as when a server's idle timer fires.
      if (mails.size === 1 && mails.get(sock) === 2) return void sock.destroy();
    }
    sock.write(line === 'QUIT' ? '221 bye\r\n' : '250 ok\r\n');
  };
  await withScript(['script', 'PIPELINING'], answer, async (port, lines) => {
    await withLane(relayOptions('/x', { port, ca: '' }, { tls: 'none', user: undefined, ca: undefined, smarthost: { host: '127.0.0.1', port } }), async (lane) => {
      assert.equal((await lane.send('a@x', ['b@y'], Buffer.from('1\r\n'))).error, undefined);
      const r = await lane.send('a@x', ['c@y'], Buffer.from('2\r\n'));
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal(lane.connections, 2);
      assert.equal(mails.size, 2);
      assert.equal(lines.filter((l) => l === '2').length, 1, 'the body went out once');
    });
  });
});

test('a 25 MiB body is streamed with backpressure, never buffered whole', async () => {
  const MIB = 1024 * 1024;
  let received = 0;
  let produced = 0;
  let maxAhead = 0;
  const serverHash = createHash('sha256');
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false, size: 100 * MIB,
    onData(stream, _s, cb) {
      stream.on('data', (c: Buffer) => {
        received += c.length;
        serverHash.update(c);
      });
      stream.on('end', () => cb(null));
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as net.AddressInfo).port;
  const line = Buffer.from('.a line that starts with a dot and is followed by some text ........\r\n');
  const lines = Math.ceil((25 * MIB) / line.length);
  const clientHash = createHash('sha256');
  let sent = 0;
  const body = new Readable({
    read() {
      maxAhead = Math.max(maxAhead, produced - received);
      if (sent >= lines) return void this.push(null);
      const chunk = Buffer.concat(Array.from({ length: Math.min(900, lines - sent) }, () => line));
      sent += chunk.length / line.length;
      produced += chunk.length;
      clientHash.update(chunk);
      this.push(chunk);
    },
  });
  try {
    await withLane(relayOptions('/x', { port, ca: '' }, { tls: 'none', user: undefined, smarthost: { host: '127.0.0.1', port } }), async (lane) => {
      const r = await lane.send('a@x', ['b@y'], body, { size: lines * line.length });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
    });
    assert.equal(received, produced);
    assert.equal(serverHash.digest('hex'), clientHash.digest('hex'));
    assert.ok(maxAhead < 12 * MIB, `read ahead of the server by ${(maxAhead / MIB).toFixed(1)} MiB`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a queued body file goes out byte-identical through the two reused read buffers, also to a slow reader', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'omr-bodyfile-'));
  // 2 MiB of CRLF lines, some starting with a dot (stuffing copies those chunks) and long runs
  // without (the read buffer itself goes to the socket and must not be refilled too early).
  let seed = 4242;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const lines: string[] = [];
  for (let size = 0; size < 2 * 1024 * 1024; ) {
    const run = Math.floor(size / 300_000) % 2 === 0; // alternate dotless and dotty stretches
    const text = `${!run && rnd(40) === 0 ? '.' : ''}line ${lines.length} ${'x'.repeat(rnd(90))}\r\n`;
    lines.push(text);
    size += text.length;
  }
  const body = Buffer.from(lines.join(''), 'latin1');
  const path = join(dir, 'body');
  await writeFile(path, body);
  const got: string[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false, size: 100 * 1024 * 1024,
    onData(stream, _s, cb) {
      const h = createHash('sha256');
      let n = 0;
      stream.on('data', (c: Buffer) => {
        h.update(c);
        // A slow reader now and then: the relay's socket buffer fills and writes wait.
        if ((n += c.length) > 256 * 1024) {
          n = 0;
          stream.pause();
          setTimeout(() => stream.resume(), 5);
        }
      });
      stream.on('end', () => {
        got.push(h.digest('hex'));
        cb(null);
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as net.AddressInfo).port;
  try {
    await withLane(relayOptions('/x', { port, ca: '' }, { tls: 'none', user: undefined, smarthost: { host: '127.0.0.1', port } }), async (lane) => {
      for (const crlf of [true, false]) {
        const r = await lane.send('a@x', ['b@y'], new BodyFile(path, body.length), { size: body.length, crlf });
        assert.equal(r.error, undefined, JSON.stringify(r.error));
      }
      // A recorded size smaller than the file (one small buffer) still sends the whole file.
      const r = await lane.send('a@x', ['b@y'], new BodyFile(path, 1000), { crlf: true });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
    });
    const want = createHash('sha256').update(body).digest('hex');
    assert.deepEqual(got, [want, want, want]);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});
