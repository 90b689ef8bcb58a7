// The simulator against nodemailer and a raw client over real loopback sockets.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { RawSmtp, SIM_PASSWORD, SIM_USER, dotStuff, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

function transport(sim: TestSimulator, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: sim.port,
    secure: false,
    requireTLS: true,
    auth: { user: SIM_USER, pass: SIM_PASSWORD },
    tls: { ca: sim.caPem, servername: 'localhost' },
    ...extra,
  });
}

describe('simulator with nodemailer', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator();
  });
  after(async () => sim.cleanup());

  it('accepts mail over verified STARTTLS with AUTH and records it', async () => {
    const info = await transport(sim).sendMail({ from: 'a@example.test', to: ['b@example.test', 'c@example.test'], subject: 'hi', text: 'hello\n' });
    assert.match(info.response, /^250 2\.0\.0 Ok: queued as /);
    const [m] = await sim.waitForMessages(1, 2000);
    assert.deepEqual(m!.envelope, { mailFrom: 'a@example.test', rcptTo: ['b@example.test', 'c@example.test'] });
    assert.equal(m!.user, SIM_USER);
    assert.match(m!.tls!.protocol, /^TLSv1\.[23]$/);
    assert.equal(sim.stats().accepted, 1);
  });

  it('rejects bad credentials with 535 and counts it', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sim.port, requireTLS: true, auth: { user: SIM_USER, pass: 'wrong' }, tls: { ca: sim.caPem, servername: 'localhost' } });
    await assert.rejects(t.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'x' }), (e: { responseCode?: number }) => e.responseCode === 535);
    assert.equal(sim.stats().rejected.byReason['auth-failed'], 1);
  });

  it('stores the exact bytes sent, dot-unstuffed', async () => {
    const raw = Buffer.from('From: a@example.test\r\nTo: b@example.test\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nx.\r\n \r\nend\r\n', 'latin1');
    await transport(sim).sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw });
    const msgs = await sim.waitForMessages(2, 2000);
    assert.ok(msgs.at(-1)!.raw!.equals(raw), 'stored bytes differ from the bytes sent');
  });
});

describe('simulator certificates', () => {
  it('generates ECDSA by default and RSA on request, both verifiable by nodemailer', async () => {
    const { X509Certificate } = await import('node:crypto');
    for (const [certKeyType, expected] of [[undefined, 'ec'], ['rsa', 'rsa']] as const) {
      const sim = await startTestSimulator(certKeyType ? { certKeyType } : {});
      try {
        assert.equal(new X509Certificate(sim.caPem).publicKey.asymmetricKeyType, expected);
        assert.equal(new X509Certificate(sim.caPem).ca, true);
        await transport(sim).sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
        assert.equal(sim.stats().accepted, 1);
      } finally {
        await sim.cleanup();
      }
    }
  });
});

describe('simulator certificate lifetime', () => {
  it('certValidDays makes an expiring or an expired certificate', async () => {
    const { X509Certificate } = await import('node:crypto');
    const { connect } = await import('node:tls');
    const soon = await startTestSimulator({ certValidDays: 5 });
    const expired = await startTestSimulator({ certValidDays: 0, tlsPort: 0 });
    try {
      const left = Date.parse(new X509Certificate(soon.certPem).validTo) - Date.now();
      assert.ok(left > 4 * 86_400_000 && left <= 5 * 86_400_000, `${left} ms left`);
      const err = await new Promise<Error & { code?: string }>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: expired.tlsPort!, ca: expired.caPem, servername: 'localhost' });
        s.once('secureConnect', () => resolve(Object.assign(new Error('verified'), { code: 'OK' })));
        s.once('error', (e) => resolve(e));
      });
      assert.equal(err.code, 'CERT_HAS_EXPIRED');
    } finally {
      await soon.cleanup();
      await expired.cleanup();
    }
  });
});

describe('simulator limits and faults (raw client)', () => {
  it('six simultaneous sessions for one account get exactly one 421', async () => {
    const sim = await startTestSimulator();
    const clients: RawSmtp[] = [];
    try {
      const opened = await Promise.all(Array.from({ length: 6 }, () => RawSmtp.open(sim.port)));
      clients.push(...opened);
      const replies = await Promise.all(clients.map((c) => c.login(sim.caPem)));
      const codes = replies.map((r) => r.code).sort();
      assert.deepEqual(codes, [235, 235, 235, 235, 235, 421]);
      assert.match(replies.find((r) => r.code === 421)!.text, /^421 4\.7\.0 /);
      const st = sim.stats();
      assert.equal(st.connections.peakPerAccount[SIM_USER], 5);
      assert.equal(st.rejected.byReason['connection-limit'], 1);
      // a slot frees when a session ends
      clients.find((_, i) => replies[i]!.code === 235)!.close();
      await new Promise((r) => setTimeout(r, 100));
      const again = await RawSmtp.open(sim.port);
      clients.push(again);
      assert.equal((await again.login(sim.caPem)).code, 235);
    } finally {
      for (const c of clients) c.close();
      await sim.cleanup();
    }
  });

  it('refuses AUTH before STARTTLS with 538 and MAIL before AUTH with 530', async () => {
    const sim = await startTestSimulator();
    const c = await RawSmtp.open(sim.port);
    try {
      assert.match(c.greeting.text, /^220 omr\.simulator\.test ESMTP/);
      const ehlo = await c.cmd('EHLO x.test');
      assert.match(ehlo.text, /STARTTLS/);
      assert.match(ehlo.text, /SIZE 20971520/);
      assert.equal((await c.authPlain(SIM_USER, SIM_PASSWORD)).code, 538);
      assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 530);
      assert.equal(sim.stats().rejected.byReason['auth-required'], 1);
    } finally {
      c.close();
      await sim.cleanup();
    }
  });

  it('enforces the hourly quota with 421 4.7.0 at MAIL', async () => {
    let now = Date.UTC(2026, 0, 15, 12);
    const sim = await startTestSimulator({ quotaHour: 2, clock: () => now });
    try {
      const t = transport(sim);
      for (let i = 0; i < 2; i++) await t.sendMail({ from: 'a@example.test', to: 'b@example.test', text: `m${i}` });
      await assert.rejects(t.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'over' }), (e: { response?: string }) => /^421 4\.7\.0 Hourly/.test(e.response ?? ''));
      assert.equal(sim.stats().rejected.byReason['quota-hour'], 1);
      now += 3_600_001;
      await t.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'next hour' });
      assert.equal(sim.stats().accepted, 3);
    } finally {
      await sim.cleanup();
    }
  });

  it('advertises SIZE and refuses a larger message with 552', async () => {
    const sim = await startTestSimulator({ maxMessageSize: 1000 });
    const c = await RawSmtp.open(sim.port);
    try {
      assert.equal((await c.login(sim.caPem)).code, 235);
      assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<b@example.test>')).code, 250);
      const r = await c.data(dotStuff(Buffer.from('Subject: big\r\n\r\n' + 'x'.repeat(70) + '\r\n'.repeat(1) + ('y'.repeat(76) + '\r\n').repeat(20))));
      assert.equal(r.code, 552);
      assert.equal(sim.stats().accepted, 0);
      assert.equal(sim.stats().rejected.byReason.size, 1);
    } finally {
      c.close();
      await sim.cleanup();
    }
  });

  it('writes message and metadata files to the store', async () => {
    const sim = await startTestSimulator();
    const store = sim.dir + '/store';
    await sim.cleanup();
    const sim2 = await startTestSimulator({ storeDir: store });
    try {
      const raw = Buffer.from('Subject: s\r\n\r\nbody\r\n');
      await transport(sim2).sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw });
      const [m] = await sim2.waitForMessages(1, 2000);
      assert.ok((await readFile(m!.file!)).equals(raw));
      const meta = JSON.parse(await readFile(m!.metaFile!, 'utf8'));
      assert.equal(meta.user, SIM_USER);
      assert.deepEqual(meta.envelope.rcptTo, ['b@example.test']);
      assert.ok(meta.tls.cipher);
    } finally {
      await sim2.cleanup();
    }
  });

  it('runtime controls: setQuota, setMaxConnections, resetCounters, waitForMessages timeout', async () => {
    const sim = await startTestSimulator();
    const clients: RawSmtp[] = [];
    try {
      sim.setMaxConnections(1);
      for (let i = 0; i < 2; i++) clients.push(await RawSmtp.open(sim.port));
      assert.deepEqual([(await clients[0]!.login(sim.caPem)).code, (await clients[1]!.login(sim.caPem)).code], [235, 421]);
      sim.setQuota({ month: 0 });
      const r = await clients[0]!.cmd('MAIL FROM:<a@example.test>');
      assert.match(r.text, /^421 4\.7\.0 Monthly message quota exceeded/);
      await assert.rejects(sim.waitForMessages(1, 50), /0 of 1 messages/);
      sim.resetCounters();
      assert.equal(sim.stats().rejected.total, 0);
      assert.equal(sim.messages().length, 0);
    } finally {
      for (const c of clients) c.close();
      await sim.cleanup();
    }
  });
});
