// SmtpSession against hand-written peers: framing across chunks, timeouts, non-SMTP peers,
// closed connections, and STARTTLS response injection being discarded.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { SmtpSession, SmtpSessionError, type TranscriptEvent } from '../../src/probe/smtp-session.js';
import { closedPort, testCa } from '../helpers/misbehaving-servers.js';

const servers: net.Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function serve(onConn: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    onConn(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

test('multi-line greeting in slow pieces is one reply', async () => {
  const port = await serve((s) => {
    s.write('220-first\r\n22');
    setTimeout(() => s.write('0-second\r\n'), 30);
    setTimeout(() => s.write('220 last\r\n'), 60);
  });
  const sess = await SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000 });
  try {
    const r = await sess.readReply(1000);
    assert.deepEqual(r.lines, ['first', 'second', 'last']);
  } finally {
    sess.close();
  }
});

test('readReply times out within its bound, with ETIMEDOUT', async () => {
  const port = await serve(() => {});
  const sess = await SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000 });
  const t0 = performance.now();
  await assert.rejects(sess.readReply(150), (e: SmtpSessionError) => e.code === 'ETIMEDOUT');
  const took = performance.now() - t0;
  assert.ok(took >= 140 && took < 600, `took ${took}`);
  sess.close();
});

test('a non-SMTP peer is EPROTOCOL; a closing peer is ECLOSED', async () => {
  const http = await serve((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const a = await SmtpSession.connect({ host: '127.0.0.1', port: http, timeoutMs: 1000 });
  await assert.rejects(a.readReply(1000), (e: SmtpSessionError) => e.code === 'EPROTOCOL');
  a.close();
  const closer = await serve((s) => s.end());
  const b = await SmtpSession.connect({ host: '127.0.0.1', port: closer, timeoutMs: 1000 });
  await assert.rejects(b.readReply(1000), (e: SmtpSessionError) => e.code === 'ECLOSED');
});

test('a reply followed by close is still delivered before the close error', async () => {
  const port = await serve((s) => s.end('421 4.7.0 busy\r\n'));
  const sess = await SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await sess.readReply(500)).code, 421);
  await assert.rejects(sess.command('EHLO x', { timeoutMs: 500 }), SmtpSessionError);
});

test('connect to a closed port: ECONNECTION refused', async () => {
  const port = await closedPort();
  await assert.rejects(SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000 }), (e: SmtpSessionError) => e.code === 'ECONNECTION' && e.connectClass === 'refused');
});

test('abort signal ends a waiting read', async () => {
  const port = await serve(() => {});
  const ac = new AbortController();
  const sess = await SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000, signal: ac.signal });
  const p = sess.readReply(5000);
  setTimeout(() => ac.abort(), 30);
  await assert.rejects(p, (e: SmtpSessionError) => e.code === 'EABORTED');
  sess.close();
});

test('STARTTLS response injection: plaintext after 220 is discarded, TLS EHLO reply is the real one', async () => {
  const ca = await testCa();
  const port = await serve((s) => {
    s.write('220 inj.test ESMTP\r\n');
    s.once('data', () => {
      s.write('250-inj.test\r\n250 STARTTLS\r\n');
      s.once('data', () => {
        // The attacker's extra reply rides along with the 220 in one packet.
        s.write('220 go ahead\r\n250 INJECTED\r\n');
        const t = new tls.TLSSocket(s, { isServer: true, key: ca.key, cert: ca.cert });
        t.on('error', () => {});
        t.on('data', (d: Buffer) => {
          if (d.toString().startsWith('EHLO')) t.write('250-inj.test\r\n250 AUTH PLAIN\r\n');
        });
      });
    });
  });
  const events: TranscriptEvent[] = [];
  const sess = await SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000 });
  sess.on('transcript', (e: TranscriptEvent) => events.push(e));
  try {
    await sess.readReply(1000);
    await sess.command('EHLO me', { timeoutMs: 1000 });
    const { reply, socket } = await sess.startTls({ timeoutMs: 2000, ca: ca.caPem });
    assert.equal(reply.code, 220);
    assert.ok(socket?.authorized);
    const r = await sess.command('EHLO me', { timeoutMs: 1000 });
    assert.deepEqual(r.lines, ['inj.test', 'AUTH PLAIN']);
    assert.ok(events.some((e) => e.dir === 'info' && /discarded/.test(e.line)));
    assert.equal(sess.secure, true);
  } finally {
    sess.close();
  }
});

test('secrets registered on the session are redacted, also in base64', async () => {
  const port = await serve((s) => s.on('data', () => s.write('535 no\r\n')));
  const sess = await SmtpSession.connect({ host: '127.0.0.1', port, timeoutMs: 1000, secrets: ['hunter2'] });
  const lines: string[] = [];
  sess.on('transcript', (e: TranscriptEvent) => lines.push(e.line));
  await sess.command('X hunter2 ' + Buffer.from('hunter2').toString('base64'), { timeoutMs: 1000 });
  assert.equal(lines[0], 'X [redacted] [redacted]');
  sess.close();
});
