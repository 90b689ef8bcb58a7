// Fault injection, deferrals, recipient rejection, implicit TLS and the total connection cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawSmtp, SIM_PASSWORD, SIM_USER, dotStuff, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import type { SimulatorOptions } from '../../src/simulator/index.js';

async function withSim(opts: Partial<SimulatorOptions>, fn: (sim: TestSimulator, open: () => Promise<RawSmtp>) => Promise<void>): Promise<void> {
  const sim = await startTestSimulator(opts);
  const clients: RawSmtp[] = [];
  const open = async (): Promise<RawSmtp> => {
    const c = await RawSmtp.open(sim.port);
    clients.push(c);
    return c;
  };
  try {
    await fn(sim, open);
  } finally {
    for (const c of clients) c.close();
    await sim.cleanup();
  }
}

async function transaction(c: RawSmtp, rcpt = 'b@example.test'): Promise<number[]> {
  const codes = [(await c.cmd('MAIL FROM:<a@example.test>')).code];
  if (codes[0] !== 250) return codes;
  codes.push((await c.cmd(`RCPT TO:<${rcpt}>`)).code);
  if (codes[1] !== 250) return codes;
  codes.push((await c.data(dotStuff(Buffer.from('Subject: t\r\n\r\nbody\r\n')))).code);
  return codes;
}

describe('simulator fault injection', () => {
  it('greeting421 answers the next N connections with 421 and closes them', () =>
    withSim({}, async (sim, open) => {
      sim.inject({ kind: 'greeting421', count: 2 });
      const a = await open();
      const b = await open();
      const c = await open();
      assert.deepEqual([a.greeting.code, b.greeting.code, c.greeting.code], [421, 421, 220]);
      assert.equal((await a.read()).code, 0, 'a 421 greeting closes the connection');
      assert.equal(sim.stats().faultsFired.greeting421, 2);
    }));

  it('mail421, rcpt4xx, data421, data5xx fire once each', () =>
    withSim({}, async (sim, open) => {
      const c = await open();
      assert.equal((await c.login(sim.caPem)).code, 235);
      sim.inject({ kind: 'rcpt4xx' });
      assert.deepEqual(await transaction(c), [250, 451]);
      await c.cmd('RSET');
      sim.inject({ kind: 'data5xx' });
      assert.deepEqual(await transaction(c), [250, 250, 554]);
      sim.inject({ kind: 'data421' });
      assert.deepEqual(await transaction(c), [250, 250, 421]);
      const d = await open();
      assert.equal((await d.login(sim.caPem)).code, 235);
      sim.inject({ kind: 'mail421' });
      assert.deepEqual(await transaction(d), [421]);
      assert.equal(sim.stats().accepted, 0);
      assert.deepEqual(Object.keys(sim.stats().faultsFired).sort(), ['data421', 'data5xx', 'mail421', 'rcpt4xx']);
    }));

  it('dropMidData cuts the connection without a reply and stores nothing', () =>
    withSim({}, async (sim, open) => {
      const c = await open();
      await c.login(sim.caPem);
      sim.inject({ kind: 'dropMidData' });
      assert.deepEqual(await transaction(c), [250, 250, 0]);
      assert.equal(sim.messages().length, 0);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(sim.stats().connections.current, 0);
    }));

  it('delayReply holds the end-of-data reply for the given time', () =>
    withSim({}, async (sim, open) => {
      const c = await open();
      await c.login(sim.caPem);
      sim.inject({ kind: 'delayReply', stage: 'data', ms: 400 });
      const t0 = Date.now();
      assert.deepEqual(await transaction(c), [250, 250, 250]);
      assert.ok(Date.now() - t0 >= 380, `reply came after ${Date.now() - t0} ms`);
    }));

  it('delays longer than the idle timeout still end in the real reply, not a timeout 421', () =>
    withSim({ socketTimeoutMs: 300 }, async (sim) => {
      sim.inject({ kind: 'delayReply', stage: 'greeting', ms: 700 });
      const t0 = Date.now();
      const c = await RawSmtp.open(sim.port);
      try {
        assert.equal(c.greeting.code, 220);
        assert.ok(Date.now() - t0 >= 650);
        await c.login(sim.caPem);
        sim.inject({ kind: 'delayReply', stage: 'mail', ms: 700 });
        assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 250);
      } finally {
        c.close();
      }
    }));

  it('authFail refuses valid credentials with 535', () =>
    withSim({}, async (sim, open) => {
      sim.inject({ kind: 'authFail' });
      const c = await open();
      assert.equal((await c.login(sim.caPem)).code, 535);
      const d = await open();
      assert.equal((await d.login(sim.caPem)).code, 235);
    }));

  it('a global RegExp for reject matches every time (no lastIndex state)', () =>
    withSim({ reject: /^bounce/g }, async (sim, open) => {
      const c = await open();
      await c.login(sim.caPem);
      await c.cmd('MAIL FROM:<a@example.test>');
      for (let i = 0; i < 3; i++) assert.equal((await c.cmd('RCPT TO:<bounce@example.test>')).code, 550);
    }));

  it('--reject gives 550 5.1.1 for matching recipients only', () =>
    withSim({ reject: '^bounce' }, async (sim, open) => {
      const c = await open();
      await c.login(sim.caPem);
      await c.cmd('MAIL FROM:<a@example.test>');
      const r = await c.cmd('RCPT TO:<bounce-me@example.test>');
      assert.equal(r.code, 550);
      assert.match(r.text, /5\.1\.1/);
      assert.equal((await c.cmd('RCPT TO:<ok@example.test>')).code, 250);
    }));

  it('deferRate with a seed defers the same connections on every run', async () => {
    const run = async (): Promise<number[]> => {
      const codes: number[] = [];
      await withSim({ deferRate: 0.5, seed: 7 }, async (_sim, open) => {
        for (let i = 0; i < 12; i++) codes.push((await open()).greeting.code);
      });
      return codes;
    };
    const first = await run();
    assert.deepEqual(await run(), first);
    assert.ok(first.includes(421) && first.includes(220), `expected a mix, got ${first}`);
  });

  it('deferAt mail defers transactions, not connections', () =>
    withSim({ deferRate: 1, deferAt: 'mail' }, async (sim, open) => {
      const c = await open();
      assert.equal(c.greeting.code, 220);
      await c.login(sim.caPem);
      const r = await c.cmd('MAIL FROM:<a@example.test>');
      assert.equal(r.code, 421);
      assert.match(r.text, /4\.3\.2/);
    }));

  it('maxTotalConnections refuses extra connections at the greeting', () =>
    withSim({ maxTotalConnections: 2 }, async (sim, open) => {
      const codes = [(await open()).greeting.code, (await open()).greeting.code, (await open()).greeting.code];
      assert.deepEqual(codes, [220, 220, 421]);
      assert.equal(sim.stats().rejected.byReason['total-connections'], 1);
    }));

  it('serves implicit TLS on tlsPort with the generated CA', async () => {
    const sim = await startTestSimulator({ tlsPort: 0 });
    const c = await RawSmtp.open(sim.tlsPort!, { implicitTls: true, ca: sim.caPem });
    try {
      assert.equal(c.greeting.code, 220);
      const ehlo = await c.cmd('EHLO x.test');
      assert.doesNotMatch(ehlo.text, /STARTTLS/);
      assert.equal((await c.authPlain(SIM_USER, SIM_PASSWORD)).code, 235);
      assert.deepEqual(await transaction(c), [250, 250, 250]);
      assert.ok(sim.messages()[0]!.tls);
    } finally {
      c.close();
      await sim.cleanup();
    }
  });

  it('allowInsecureAuth and authOptional serve plaintext smarthost tests', async () => {
    await withSim({ allowInsecureAuth: true }, async (_sim, open) => {
      const c = await open();
      await c.cmd('EHLO x.test');
      assert.equal((await c.authPlain(SIM_USER, SIM_PASSWORD)).code, 235);
    });
    await withSim({ authOptional: true, starttls: false }, async (sim, open) => {
      const c = await open();
      assert.doesNotMatch((await c.cmd('EHLO x.test')).text, /STARTTLS/);
      assert.deepEqual(await transaction(c), [250, 250, 250]);
      assert.equal(sim.messages()[0]!.tls, null);
    });
  });

  it('forgets a plaintext AUTH at STARTTLS, in smtp-server and in the account count', () =>
    withSim({ allowInsecureAuth: true, maxConnections: 1 }, async (sim, open) => {
      const c = await open();
      await c.cmd('EHLO x.test');
      assert.equal((await c.authPlain(SIM_USER, SIM_PASSWORD)).code, 235);
      assert.equal(sim.stats().connections.currentPerAccount[SIM_USER], 1);
      await c.starttls(sim.caPem);
      await c.cmd('EHLO x.test');
      assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 530);
      assert.equal(sim.stats().connections.currentPerAccount[SIM_USER], undefined);
      assert.equal((await c.authPlain(SIM_USER, SIM_PASSWORD)).code, 235, 'the slot was freed, so AUTH again fits maxConnections 1');
    }));

  it('puts a specific listen address into the certificate (127.0.0.2)', async () => {
    const { connect } = await import('node:tls');
    const sim = await startTestSimulator({ host: '127.0.0.2', tlsPort: 0 });
    try {
      const sock = connect({ host: '127.0.0.2', port: sim.tlsPort!, ca: sim.caPem });
      await new Promise<void>((resolve, reject) => {
        sock.once('secureConnect', () => resolve());
        sock.once('error', reject);
      });
      assert.equal(sock.authorized, true);
      sock.destroy();
    } finally {
      await sim.cleanup();
    }
  });

  it('stripStarttls hides STARTTLS from the next connection; AUTH there gets 538', () =>
    withSim({ banner: 'custom banner' }, async (sim, open) => {
      sim.inject({ kind: 'stripStarttls' });
      const c = await open();
      assert.equal(c.greeting.text, '220 omr.simulator.test ESMTP custom banner');
      assert.doesNotMatch((await c.cmd('EHLO x.test')).text, /STARTTLS/);
      const r = await c.authPlain(SIM_USER, SIM_PASSWORD);
      assert.equal(r.code, 538);
      assert.equal(sim.stats().rejected.byReason['tls-required'], 1);
      assert.equal(sim.stats().sessions, 0);
      const d = await open();
      assert.match((await d.cmd('EHLO x.test')).text, /STARTTLS/);
    }));

  it('a session that leaves during a delayed AUTH reply takes no slot', () =>
    withSim({ maxConnections: 1 }, async (sim, open) => {
      const c = await open();
      await c.cmd('EHLO x.test');
      await c.starttls(sim.caPem);
      await c.cmd('EHLO x.test');
      sim.inject({ kind: 'delayReply', stage: 'auth', ms: 200 });
      c.socket.write('AUTH PLAIN ' + Buffer.from(`\0${SIM_USER}\0${SIM_PASSWORD}`).toString('base64') + '\r\n');
      await new Promise((r) => setTimeout(r, 50));
      c.close();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sim.stats().sessions, 0);
      assert.deepEqual(sim.stats().connections.currentPerAccount, {});
      const d = await open();
      assert.equal((await d.login(sim.caPem)).code, 235);
    }));

  it('a delayed DATA reply still accepts the message when the client has gone (duplicate risk)', () =>
    withSim({ quotaHour: 1 }, async (sim, open) => {
      const c = await open();
      await c.login(sim.caPem);
      sim.inject({ kind: 'delayReply', stage: 'data', ms: 200 });
      await c.cmd('MAIL FROM:<a@example.test>');
      await c.cmd('RCPT TO:<b@example.test>');
      await c.cmd('DATA');
      c.socket.write(dotStuff(Buffer.from('Subject: t\r\n\r\nbody\r\n')));
      await new Promise((r) => setTimeout(r, 50));
      c.close();
      const [m] = await sim.waitForMessages(1, 2000);
      assert.equal(m!.user, SIM_USER);
      const st = sim.stats();
      assert.equal(st.accepted, 1);
      assert.equal(st.quota[SIM_USER]!.hour, 1);
      const d = await open();
      await d.login(sim.caPem);
      assert.equal((await d.cmd('MAIL FROM:<a@example.test>')).code, 421, 'the quota of 1 is used up');
    }));
});
