// `node bin/omr.js test ...` as a child process against the OMR simulator and misbehaving
// servers: exit codes, verdicts, hints, time bounds, and that the password never appears.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvelope, runCli, type CliResult } from '../helpers/cli.js';
import { closedPort, startGreeting421Server, startSilentServer, startStrippingProxy, startGoodServer, type Running } from '../helpers/misbehaving-servers.js';
import { SIM_PASSWORD, SIM_USER, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator;
let dir: string;
const cleanup: Array<() => Promise<unknown>> = [];

before(async () => {
  sim = await startTestSimulator({ tlsPort: 0 });
  dir = await mkdtemp(join(tmpdir(), 'omr-tester-cli-'));
});
after(async () => {
  await Promise.all(cleanup.map((c) => c()));
  await sim.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** The password, its base64 and the AUTH PLAIN token must appear nowhere. */
function assertNoSecret(r: CliResult, secret: string, user = SIM_USER): void {
  const all = r.stdout + r.stderr;
  for (const needle of [secret, b64(secret), b64(`\0${user}\0${secret}`)]) assert.equal(all.includes(needle), false, `secret leaked: ${needle}`);
}

function simArgs(...extra: string[]): string[] {
  return ['test', '127.0.0.1', '--port', `${sim.port},${sim.tlsPort}/implicit`, '--ca', sim.caFile, '--timeout', '5', ...extra];
}

const check = (env: Record<string, any>, id: string): Record<string, any> => {
  const c = env.checks.find((x: { id: string }) => x.id === id);
  assert.ok(c, `no check ${id} in ${env.checks.map((x: { id: string }) => x.id).join(', ')}`);
  return c;
};

test('simulator: STARTTLS and implicit TLS ports pass through DATA; JSON envelope; password never shown', async () => {
  const r = await runCli([...simArgs('--user', SIM_USER, '--from', SIM_USER, '--to', 'rcpt@example.test', '--send', '--transcript', '--verbose', '--json')], { env: { OMR_PASSWORD: SIM_PASSWORD } });
  const env = parseEnvelope(r);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(env.verdict, 'pass');
  assert.equal(env.command, 'test');
  for (const port of [sim.port, sim.tlsPort]) {
    for (const ph of ['tcp', 'banner', 'ehlo', 'tls', 'auth', 'mail', 'rcpt', 'data']) assert.equal(check(env, `${ph}:${port}`).status, 'pass', `${ph}:${port}`);
  }
  assert.equal(check(env, `starttls:${sim.port}`).status, 'pass');
  assert.match(r.stderr, /-> EHLO/);
  assert.match(r.stderr, /~> AUTH PLAIN \[redacted\]/);
  assert.equal(sim.messages().length >= 2, true);
  assertNoSecret(r, SIM_PASSWORD);
});

test('simulator with --password-file (0600) and --auth-mech login: human output, no secret in it', async () => {
  const pwFile = join(dir, 'pw');
  await writeFile(pwFile, SIM_PASSWORD + '\n', { mode: 0o600 });
  const r = await runCli(simArgs('--user', SIM_USER, '--password-file', pwFile, '--auth-mech', 'login', '--transcript'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /authenticated as office@example.test with LOGIN/);
  assert.match(r.stderr, /~> AUTH LOGIN$/m);
  assert.match(r.stderr, /~> \[redacted\]$/m);
  assert.match(r.stdout, /omr test: PASS/);
  assertNoSecret(r, SIM_PASSWORD);
});

test('simulator, wrong password: exit 1, auth fails with a credentials hint, no secret shown', async () => {
  const wrong = 'Wr0ng-but-secret';
  const r = await runCli(simArgs('--user', SIM_USER, '--transcript', '--json'), { env: { OMR_PASSWORD: wrong } });
  const env = parseEnvelope(r);
  assert.equal(r.code, 1);
  assert.equal(env.verdict, 'fail');
  const auth = check(env, `auth:${sim.port}`);
  assert.equal(auth.status, 'fail');
  assert.match(auth.summary, /535/);
  assert.match(auth.hint, /password is wrong/);
  assertNoSecret(r, wrong);
});

test('simulator: --connections 7 reports the per-account limit of 5 with the 421 text', async () => {
  const r = await runCli(['test', '127.0.0.1', '--port', String(sim.port), '--ca', sim.caFile, '--user', SIM_USER, '--connections', '7', '--json'], { env: { OMR_PASSWORD: SIM_PASSWORD } });
  const env = parseEnvelope(r);
  assert.equal(r.code, 0, r.stderr);
  const c = check(env, 'connections');
  assert.equal(c.detail.attempted, 7);
  assert.equal(c.detail.accepted, 5);
  assert.match(c.detail.firstRejection, /^421 .*Too many connections/);
});

test('simulator quota used up: MAIL gets 421 and diagnosis:quota names it', async () => {
  sim.setQuota({ hour: 0 });
  try {
    const r = await runCli(['test', '127.0.0.1', '--port', String(sim.port), '--ca', sim.caFile, '--user', SIM_USER, '--from', SIM_USER, '--to', 'x@example.test', '--json'], { env: { OMR_PASSWORD: SIM_PASSWORD } });
    const env = parseEnvelope(r);
    assert.equal(r.code, 1);
    assert.match(check(env, 'diagnosis:quota').summary, /quota exceeded/i);
  } finally {
    sim.setQuota({ hour: 1_000_000 });
  }
});

test('simulator greeting 421 fault: connection-limit diagnosis with the server text', async () => {
  sim.inject({ kind: 'greeting421', count: 1 });
  const r = await runCli(['test', '127.0.0.1', '--port', String(sim.port), '--ca', sim.caFile, '--json']);
  const env = parseEnvelope(r);
  assert.equal(r.code, 1);
  assert.match(check(env, 'diagnosis:connection-limit').summary, /421 4\.3\.2/);
});

test('misbehaving servers through the CLI: silent + closed + stripped ports next to a good one -> warn within the timeout', async () => {
  const good = await startGoodServer();
  const silent = await startSilentServer();
  const proxy = await startStrippingProxy(good.port);
  const closed = await closedPort();
  cleanup.push(good.close, silent.close, proxy.close);
  await writeFile(join(dir, 'good-ca.pem'), good.caPem);
  const t1 = Date.now();
  const r2 = await runCli(['test', '127.0.0.1', '--port', `${good.port},${silent.port},${proxy.port},${closed}`, '--ca', join(dir, 'good-ca.pem'), '--timeout', '3', '--json']);
  const elapsed = Date.now() - t1;
  const env = parseEnvelope(r2);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(env.verdict, 'warn');
  // Ports run concurrently: the whole run is bounded by a few phase timeouts, not their sum.
  assert.ok(elapsed < 15000, `took ${elapsed} ms`);
  assert.equal(check(env, `tcp:${closed}`).detail.result, 'refused');
  assert.match(check(env, `banner:${silent.port}`).summary, /no greeting within 3 s/);
  assert.ok(check(env, 'diagnosis:no-greeting'));
  assert.ok(check(env, 'diagnosis:starttls-stripped'));
  assert.equal(check(env, `tls:${good.port}`).status, 'pass');
});

test('421 at greeting only: exit 1 and the hint says what to do', async () => {
  const s: Running = await startGreeting421Server();
  cleanup.push(s.close);
  const r = await runCli(['test', '127.0.0.1', '--port', String(s.port), '--timeout', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /What to do/);
  assert.match(r.stdout, /OMR allows 5 per account/);
  assert.match(r.stdout, /omr test: FAIL/);
});

test('usage errors exit 2: --from without --to, --user without a password, loose password file', async () => {
  const a = await runCli(['test', '127.0.0.1', '--from', 'a@b.test']);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--to is missing/);
  const b = await runCli(['test', '127.0.0.1', '--user', 'x']);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /OMR_PASSWORD/);
  const loose = join(dir, 'loose');
  await writeFile(loose, 'pw-in-a-loose-file\n');
  await chmod(loose, 0o644);
  const c = await runCli(['test', '127.0.0.1', '--user', 'x', '--password-file', loose]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /chmod 600/);
  assert.equal((c.stdout + c.stderr).includes('pw-in-a-loose-file'), false);
  const d = await runCli(['test', '127.0.0.1', '--port', '25/bogus']);
  assert.equal(d.code, 2);
});

test('HOST:PORT form works, and conflicts with --port', async () => {
  const r = await runCli(['test', `127.0.0.1:${sim.port}`, '--ca', sim.caFile, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseEnvelope(r).data.ports.map((p: { port: number }) => p.port), [sim.port]);
  const c = await runCli(['test', `127.0.0.1:${sim.port}`, '--port', '25']);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /either in HOST:PORT or with --port/);
});
