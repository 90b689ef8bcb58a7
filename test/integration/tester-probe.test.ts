// runTest against purpose-built servers on 127.0.0.1: verdicts, check ids, hints, timing bounds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runTest, type TestOptions } from '../../src/probe/run-test.js';
import type { Check } from '../../src/core/result.js';
import {
  closedPort, startGoodServer, startGreeting421Server, startSilentServer, startSlowGreetingServer, startStrippingProxy, type Running,
} from '../helpers/misbehaving-servers.js';

const PW = 'sekret-pw';
let good: Running & { caPem: string; received: Buffer[] };
let implicit: Running;
const cleanup: Array<() => Promise<void>> = [];

before(async () => {
  good = await startGoodServer({ password: PW });
  implicit = await startGoodServer({ password: PW, secure: true });
  cleanup.push(good.close, implicit.close);
});
after(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

function opts(ports: number[], extra: Partial<TestOptions> = {}): TestOptions {
  return { host: '127.0.0.1', ports, tls: 'starttls', timeoutMs: 2000, stopAfter: 'tls', ca: good.caPem, ...extra };
}
const byId = (checks: Check[], id: string): Check => {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} missing; have ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

test('good STARTTLS server: every phase passes up to DATA, queue id reported', async () => {
  const r = await runTest(opts([good.port], { user: 'office', password: PW, from: 'a@example.test', to: 'b@example.test', stopAfter: 'data' }));
  assert.equal(r.verdict, 'pass', JSON.stringify(r.checks, null, 1));
  for (const ph of ['tcp', 'banner', 'ehlo', 'starttls', 'tls', 'auth', 'mail', 'rcpt', 'data']) assert.equal(byId(r.checks, `${ph}:${good.port}`).status, 'pass', ph);
  const tls = byId(r.checks, `tls:${good.port}`).detail!;
  assert.equal(tls.sanMatch, true);
  assert.equal(tls.authorized, true);
  assert.ok((tls.daysToExpiry as number) > 300);
  assert.deepEqual((tls.change as { removed: string[] }).removed, ['STARTTLS']);
  assert.equal(r.data.ports[0]!.queueId, 'TESTQ1');
  assert.equal(good.received.length >= 1, true);
});

test('implicit TLS port (auto mode maps by port; explicit implicit here)', async () => {
  const r = await runTest(opts([implicit.port], { tls: 'implicit', user: 'office', password: PW, stopAfter: 'auth' }));
  assert.equal(r.verdict, 'pass', JSON.stringify(r.checks, null, 1));
  assert.equal(byId(r.checks, `tls:${implicit.port}`).status, 'pass');
  assert.equal(r.checks.some((c) => c.id === `starttls:${implicit.port}`), false);
});

test('without --ca the certificate is not trusted and the hint says --ca', async () => {
  const r = await runTest(opts([good.port], { ca: undefined }));
  assert.equal(r.verdict, 'fail');
  const c = byId(r.checks, `tls:${good.port}`);
  assert.equal(c.status, 'fail');
  assert.match(c.summary, /not trusted/);
  assert.match(c.hint!, /--ca/);
});

test('wrong password: auth fails with 535 and a credentials hint, verdict fail', async () => {
  const r = await runTest(opts([good.port], { user: 'office', password: 'wrong-one', stopAfter: 'auth' }));
  assert.equal(r.verdict, 'fail');
  const c = byId(r.checks, `auth:${good.port}`);
  assert.equal(c.status, 'fail');
  assert.match(c.summary, /535/);
  assert.match(c.hint!, /password is wrong/);
});

test('silent port: banner times out within the timeout; no-greeting diagnosis; good port makes it warn', async () => {
  const silent = await startSilentServer();
  cleanup.push(silent.close);
  const t0 = Date.now();
  const r = await runTest(opts([good.port, silent.port], { timeoutMs: 800 }));
  assert.ok(Date.now() - t0 < 2500, 'ports run concurrently and within the timeout');
  assert.equal(r.verdict, 'warn');
  assert.equal(byId(r.checks, `tcp:${silent.port}`).status, 'pass');
  const b = byId(r.checks, `banner:${silent.port}`);
  assert.equal(b.status, 'fail');
  assert.match(b.summary, /no greeting within 0\.8 s/);
  assert.equal(byId(r.checks, `ehlo:${silent.port}`).status, 'skip');
  assert.match(byId(r.checks, 'diagnosis:no-greeting').hint!, /antivirus|proxy/);
});

test('421 at greeting: connection-limit diagnosis carries the server text', async () => {
  const s = await startGreeting421Server();
  cleanup.push(s.close);
  const r = await runTest(opts([s.port]));
  assert.equal(r.verdict, 'fail');
  assert.match(byId(r.checks, `banner:${s.port}`).summary, /^the server refused the session at greeting: 421/);
  const d = byId(r.checks, 'diagnosis:connection-limit');
  assert.match(d.summary, /Too many connections from your account/);
  assert.match(d.hint!, /5 per account/);
});

test('421 quota text at greeting: quota diagnosis, not connection-limit', async () => {
  const s = await startGreeting421Server('421 4.7.0 Hourly quota exceeded for this account');
  cleanup.push(s.close);
  const r = await runTest(opts([s.port]));
  assert.match(byId(r.checks, 'diagnosis:quota').summary, /Hourly quota exceeded/);
  assert.equal(r.checks.some((c) => c.id === 'diagnosis:connection-limit'), false);
});

test('STARTTLS-stripping proxy: starttls fails, credentials not sent, stripped + plaintext-auth diagnoses', async () => {
  const plain = await startGoodServer({ password: PW, plaintextAuthOnly: false });
  const proxy = await startStrippingProxy(plain.port);
  cleanup.push(proxy.close, plain.close);
  const r = await runTest(opts([proxy.port, good.port], { user: 'office', password: PW, stopAfter: 'auth' }));
  assert.equal(r.verdict, 'warn');
  assert.match(byId(r.checks, `starttls:${proxy.port}`).summary, /does not offer STARTTLS.*XXXXXXXA/);
  assert.match(byId(r.checks, `auth:${proxy.port}`).summary, /credentials not sent/);
  assert.match(byId(r.checks, 'diagnosis:starttls-stripped').hint!, /465/);
  assert.equal(byId(r.checks, `auth:${good.port}`).status, 'pass');
});

test('plaintext-only AUTH server: password never sent', async () => {
  const s = await startGoodServer({ password: PW, plaintextAuthOnly: true });
  cleanup.push(s.close);
  const lines: string[] = [];
  const r = await runTest(opts([s.port], { user: 'office', password: PW, stopAfter: 'auth', onTranscript: (_p, e) => lines.push(e.line) }));
  assert.equal(r.verdict, 'fail');
  assert.ok(byId(r.checks, 'diagnosis:plaintext-auth-only'));
  assert.equal(lines.some((l) => /^AUTH/i.test(l)), false, 'no AUTH command was sent');
});

test('closed port: refused; with a working port 587-style the verdict is warn', async () => {
  const port = await closedPort();
  const r = await runTest(opts([good.port, port]));
  assert.equal(r.verdict, 'warn');
  const c = byId(r.checks, `tcp:${port}`);
  assert.equal(c.status, 'fail');
  assert.equal(c.detail!.result, 'refused');
  const only = await runTest(opts([port]));
  assert.equal(only.verdict, 'fail');
  assert.ok(byId(only.checks, 'diagnosis:no-connection'));
});

test('slow greeting above the threshold warns', async () => {
  const s = await startSlowGreetingServer(400);
  cleanup.push(s.close);
  const r = await runTest(opts([s.port], { stopAfter: 'ehlo', thresholds: { slowGreetingMs: 200 } }));
  assert.equal(r.verdict, 'warn');
  assert.match(byId(r.checks, 'diagnosis:slow-greeting').summary, /greeting took \d+ ms/);
});

test('certificate expiring soon warns', async () => {
  const s = await startGoodServer({ password: PW, days: 5 });
  cleanup.push(s.close);
  const r2 = await runTest(opts([s.port], { ca: s.caPem }));
  assert.equal(r2.verdict, 'warn', JSON.stringify(r2.checks, null, 1));
  assert.match(byId(r2.checks, 'diagnosis:cert-expiring').summary, /expires in [45] days/);
});

test('--expect-banner mismatch flags a possible proxy', async () => {
  const r = await runTest(opts([good.port], { stopAfter: 'banner', expectBanner: /omr\.tzo\.com/ }));
  assert.equal(byId(r.checks, `banner:${good.port}`).status, 'warn');
  assert.ok(byId(r.checks, 'diagnosis:smtp-proxy'));
});

test('dns failure: fail with a hint and no port checks', async () => {
  const r = await runTest(opts([good.port], { host: 'nowhere.invalid', resolver: async () => { throw Object.assign(new Error('x'), { code: 'ENOTFOUND' }); } }));
  assert.equal(r.verdict, 'fail');
  assert.match(byId(r.checks, 'dns').summary, /no such host/);
  assert.equal(r.checks.length, 1);
});

test('AUTH LOGIN (when PLAIN is not offered): works and the transcript hides the password', async () => {
  const s = await startGoodServer({ password: PW, extra: { authMethods: ['LOGIN'] } });
  cleanup.push(s.close);
  const lines: string[] = [];
  const r = await runTest(opts([s.port], { ca: s.caPem, user: 'office', password: PW, stopAfter: 'auth', onTranscript: (_p, e) => lines.push(e.line) }));
  assert.equal(r.verdict, 'pass', JSON.stringify(r.checks, null, 1));
  assert.match(byId(r.checks, `auth:${s.port}`).summary, /with LOGIN/);
  const text = lines.join('\n');
  assert.equal(text.includes(PW) || text.includes(Buffer.from(PW).toString('base64')), false);
  assert.match(text, /^\[redacted\]$/m);
});

test('--connections against a server without a limit: all accepted', async () => {
  const r = await runTest(opts([good.port], { connections: 3 }));
  const c = byId(r.checks, 'connections');
  assert.equal(c.status, 'pass');
  assert.deepEqual({ a: c.detail!.attempted, k: c.detail!.accepted, f: c.detail!.firstRejection }, { a: 3, k: 3, f: null });
});

test('abort (Ctrl-C) ends a waiting probe at once; the port is not counted as working', async () => {
  const silent = await startSilentServer();
  cleanup.push(silent.close);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const t0 = Date.now();
  const r = await runTest(opts([silent.port], { timeoutMs: 10_000, signal: ac.signal }));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(r.verdict, 'fail');
  assert.equal(byId(r.checks, `banner:${silent.port}`).summary, 'interrupted');
});
