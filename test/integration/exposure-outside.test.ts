import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutside } from '../../src/exposure/outside-check.js';
import { probePort } from '../../src/exposure/outside.js';
import { closedPort, startSmtp, type SmtpPeer } from '../helpers/exposure.js';
import { parseEnvelope, runCli } from '../helpers/cli.js';

let open: SmtpPeer;
let refuse: SmtpPeer;
let auth: SmtpPeer;
let open465: SmtpPeer;
let closed: number;

before(async () => {
  [open, refuse, auth, open465] = await Promise.all([startSmtp('open'), startSmtp('refuse'), startSmtp('auth'), startSmtp('open', { secure: true })]);
  closed = await closedPort();
});

after(async () => {
  await Promise.all([open, refuse, auth, open465].filter(Boolean).map((p) => p.close()));
});

const base = { host: '127.0.0.1', ip: '127.0.0.1', timeoutMs: 5000, relayTest: true };

test('an open relay is found by the first variant, and DATA is never sent', async () => {
  const p = await probePort({ ...base, port: open.port });
  assert.equal(p.tcp, 'open');
  assert.equal(p.exposure, 'open-relay');
  assert.match(p.banner ?? '', /^220 mail\.lan\.example/);
  assert.equal(p.relay?.variants[0]?.relayed, true);
  assert.ok(open.rcptTo.includes('relaytest@example.net'));
  assert.equal(open.dataCount, 0);
  assert.ok(!p.transcript.some((l) => /^-> DATA/.test(l)));
  assert.ok(p.transcript.includes('-> RSET'));
});

test('a relay-refusing server: all 16 variants tried, each refused, MAIL+RCPT+RSET only', async () => {
  const p = await probePort({ ...base, port: refuse.port });
  assert.equal(p.exposure, 'reachable-relay-refused');
  assert.equal(p.relay?.variants.length, 16);
  assert.equal(p.relay?.tested, 16);
  assert.ok(p.relay?.variants.every((v) => !v.relayed));
  assert.match(p.relay?.variants[0]?.rcptReply ?? '', /^550/);
  assert.equal(refuse.dataCount, 0);
  const verbs = new Set(p.transcript.filter((l) => l.startsWith('-> ')).map((l) => l.slice(3).split(/[ :]/)[0]));
  assert.deepEqual([...verbs].sort(), ['EHLO', 'EXPN', 'MAIL', 'QUIT', 'RCPT', 'RSET', 'STARTTLS', 'VRFY']);
  assert.equal(p.tls, 'starttls', 'STARTTLS offered by smtp-server is used');
});

test('an AUTH-required server stops the battery at the first 530', async () => {
  const p = await probePort({ ...base, port: auth.port });
  assert.equal(p.exposure, 'reachable-auth-required');
  assert.equal(p.relay?.variants.length, 1);
  assert.match(p.relay?.stoppedBy ?? '', /^530/);
  assert.equal(auth.rcptTo.length, 0);
});

test('a closed port is not reachable; implicit TLS is spoken on a 465-style port', async () => {
  const c = await probePort({ ...base, port: closed });
  assert.equal(c.tcp, 'refused');
  assert.equal(c.exposure, 'not-reachable');
  const t = await probePort({ ...base, port: open465.port, implicitTls: true });
  assert.equal(t.tls, 'implicit');
  assert.equal(t.exposure, 'open-relay');
});

test('a silent port (TCP open, no greeting) is inconclusive, bounded by the timeout', async () => {
  const net = await import('node:net');
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const t0 = Date.now();
    const p = await probePort({ ...base, port, timeoutMs: 500 });
    assert.equal(p.exposure, 'inconclusive');
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    silent.close();
  }
});

test('checkOutside: the worst port wins, checks carry stable ids, loopback target warned', async () => {
  const r = await checkOutside({ target: 'localhost-test', resolve: async () => ['127.0.0.1'], ports: [closed, refuse.port], timeoutMs: 5000, relayTest: true });
  assert.equal(r.data.exposure, 'reachable-relay-refused');
  assert.equal(r.data.fromHereOnly, true);
  const ids = r.checks.map((c) => `${c.id}=${c.status}`);
  assert.ok(ids.includes('dns=pass'));
  assert.ok(ids.includes('target-scope=warn'));
  assert.ok(ids.includes(`tcp:${closed}=pass`));
  assert.ok(ids.includes(`banner:${refuse.port}=fail`));
  assert.ok(ids.includes(`relay:${refuse.port}=pass`));
  assert.ok(r.data.fixes.length > 0);
  const none = await checkOutside({ target: 'x', resolve: async () => { throw new Error('NXDOMAIN'); }, ports: [25], timeoutMs: 1000, relayTest: true });
  assert.equal(none.checks[0]?.status, 'fail');
});

test('CLI: --json envelope and exit codes (1 open relay, 0 closed, 2 bad ports)', async () => {
  const bad = await runCli(['check-exposure', '127.0.0.1', '--ports', 'x', '--json']);
  assert.equal(bad.code, 2);
  const relay = await runCli(['check-exposure', '127.0.0.1', '--ports', `${open.port},${closed}`, '--timeout', '5', '--json']);
  assert.equal(relay.code, 1, relay.stderr);
  const env = parseEnvelope(relay);
  assert.equal(env.command, 'check-exposure');
  assert.equal(env.verdict, 'fail');
  assert.equal(env.ok, false);
  assert.equal(env.data.exposure, 'open-relay');
  assert.ok(env.checks.some((c: { id: string; status: string }) => c.id === `relay:${open.port}` && c.status === 'fail'));
  const shut = await runCli(['check-exposure', '127.0.0.1', '--ports', String(closed)]);
  assert.equal(shut.code, 0);
  assert.match(shut.stdout.split('\n')[0]!, /^WARN {2}127\.0\.0\.1: not reachable/);
  const norelay = await runCli(['check-exposure', '127.0.0.1', '--ports', String(open.port), '--no-relay-test', '--json']);
  const e2 = parseEnvelope(norelay);
  assert.equal(norelay.code, 1);
  assert.equal(e2.data.exposure, 'inconclusive');
  assert.ok(e2.checks.some((c: { id: string; status: string }) => c.id === `relay:${open.port}` && c.status === 'skip'));
});

test('a server that hangs up mid-battery (like Postfix error limits): relay refused, reason says the battery was cut', async () => {
  const { startScripted } = await import('../helpers/exposure.js');
  const s = await startScripted({ hangupAfterRcpts: 5 });
  try {
    const p = await probePort({ ...base, port: s.port });
    assert.equal(p.exposure, 'reachable-relay-refused');
    assert.equal(p.relay?.tested, 5);
    assert.match(p.reason, /refused all 5 relay tests before the session ended \(421/);
    assert.equal(p.vrfy?.exposed, true, 'VRFY 250 discloses an address');
    assert.equal(p.expn?.exposed, false);
  } finally {
    await s.close();
  }
});

test('a tarpit that answers slowly is cut off by the whole-dialogue budget', async () => {
  const { startScripted } = await import('../helpers/exposure.js');
  const s = await startScripted({ delayMs: 120 });
  try {
    const t0 = Date.now();
    const p = await probePort({ ...base, port: s.port, timeoutMs: 300 });
    const took = Date.now() - t0;
    assert.ok(took < 3000, `took ${took} ms`);
    assert.match(p.relay?.stoppedBy ?? '', /dialogue took longer/);
    assert.ok((p.relay?.tested ?? 99) < 16);
  } finally {
    await s.close();
  }
});

test('a 554 greeting means reachable but refusing service', async () => {
  const { startScripted } = await import('../helpers/exposure.js');
  const s = await startScripted({ greeting: '554 5.7.1 127.0.0.1 is not allowed to use this relay' });
  try {
    const p = await probePort({ ...base, port: s.port });
    assert.equal(p.exposure, 'reachable-relay-refused');
    assert.equal(p.relay, undefined);
    assert.match(p.reason, /refused service: 554/);
  } finally {
    await s.close();
  }
});

test('IPv6: the battery uses [IPv6:...] literals against ::1', async () => {
  const v6 = await startSmtp('refuse', { host: '::1' }).catch(() => undefined);
  if (!v6) return; // no IPv6 loopback on this machine
  try {
    const p = await probePort({ host: '::1', ip: '::1', port: v6.port, timeoutMs: 5000, relayTest: true });
    assert.equal(p.exposure, 'reachable-relay-refused');
    assert.ok(p.transcript.some((l) => l.includes('MAIL FROM:<omr-relay-test@[IPv6:::1]>')));
  } finally {
    await v6.close();
  }
});
