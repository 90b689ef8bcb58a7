// runTest against the OMR simulator's fault injection: slow greeting, slow end-of-data
// acknowledgement, and a certificate name mismatch found through a resolved host name.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runTest, type TestOptions } from '../../src/probe/run-test.js';
import type { Check } from '../../src/core/result.js';
import { SIM_PASSWORD, SIM_USER, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator;
before(async () => {
  sim = await startTestSimulator();
});
after(async () => {
  await sim.cleanup();
});

const opts = (extra: Partial<TestOptions> = {}): TestOptions => ({
  host: '127.0.0.1', ports: [sim.port], tls: 'starttls', timeoutMs: 3000, stopAfter: 'tls', ca: sim.caPem, ...extra,
});
const byId = (checks: Check[], id: string): Check => {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} missing; have ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

test('delayed greeting: banner still passes, diagnosis:slow-greeting warns, verdict warn', async () => {
  sim.inject({ kind: 'delayReply', stage: 'greeting', ms: 700 });
  const r = await runTest(opts({ thresholds: { slowGreetingMs: 500 } }));
  assert.equal(byId(r.checks, `banner:${sim.port}`).status, 'pass');
  assert.match(byId(r.checks, 'diagnosis:slow-greeting').summary, /greeting took \d+ ms on port/);
  assert.equal(r.verdict, 'warn');
});

test('delayed end-of-data ack: data passes with its ack time, diagnosis:slow-data-ack warns', async () => {
  sim.inject({ kind: 'delayReply', stage: 'data', ms: 700 });
  const r = await runTest(opts({ user: SIM_USER, password: SIM_PASSWORD, from: SIM_USER, to: 'x@example.test', stopAfter: 'data', thresholds: { slowDataAckMs: 500 } }));
  const data = byId(r.checks, `data:${sim.port}`);
  assert.equal(data.status, 'pass');
  assert.ok((data.detail!.dataAckMs as number) >= 650, String(data.detail!.dataAckMs));
  assert.match(byId(r.checks, 'diagnosis:slow-data-ack').hint!, /send it twice/);
});

test('a delay longer than the timeout fails the phase within the timeout', async () => {
  sim.inject({ kind: 'delayReply', stage: 'greeting', ms: 3000 });
  const t0 = Date.now();
  const r = await runTest(opts({ timeoutMs: 500 }));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(r.verdict, 'fail');
  assert.match(byId(r.checks, `banner:${sim.port}`).summary, /no greeting within 0\.5 s/);
});

test('host name not in the certificate: tls fails and says so (DNS resolved to loopback by a stub)', async () => {
  const r = await runTest(opts({ host: 'mail.example.test', resolver: async () => [{ address: '127.0.0.1', family: 4 }] }));
  assert.equal(byId(r.checks, 'dns').summary, 'mail.example.test -> 127.0.0.1');
  const tls = byId(r.checks, `tls:${sim.port}`);
  assert.equal(tls.status, 'fail');
  assert.match(tls.summary, /different host name/);
  assert.equal(tls.detail!.sanMatch, false);
});

test('AUTH fault: one 535, reported with the credentials hint', async () => {
  sim.inject({ kind: 'authFail', count: 1 });
  const r = await runTest(opts({ user: SIM_USER, password: SIM_PASSWORD, stopAfter: 'auth' }));
  assert.match(byId(r.checks, `auth:${sim.port}`).summary, /535/);
  assert.equal(r.verdict, 'fail');
});
