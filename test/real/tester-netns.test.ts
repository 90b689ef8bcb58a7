// omr test inside a private network namespace, where we may drop packets: port 25 filtered
// while 587 works (diagnosis:port25-blocked, the ISP case), and a network with no route
// (unreachable). Needs root, iproute2 and nftables; nothing leaves the namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { OMR_BIN } from '../helpers/cli.js';
import { runCommand, mustRun as must } from '../helpers/run.js';

const NS = `omrt${randomBytes(3).toString('hex')}`;
const SERVER_MAIN = fileURLToPath(new URL('../helpers/tester-good-server-main.js', import.meta.url));
const missing = ['/usr/sbin/ip', '/usr/sbin/nft'].filter((t) => !existsSync(t) && !existsSync(t.replace('/usr', '')));
const notRoot = process.getuid?.() !== 0;
const why = notRoot ? 'needs root (network namespaces)' : missing.length ? `missing tools: ${missing.join(', ')} (apt: iproute2 nftables)` : '';
const skip = why && process.env.CI !== 'true' ? why : false;

let server: ChildProcess | undefined;
let dir: string;
let nsCreated = false;

before(async () => {
  if (skip) return;
  if (why) throw new Error(`tester netns tests: ${why}`);
  dir = await mkdtemp(join(tmpdir(), 'omr-tester-netns-'));
  await must('ip', ['netns', 'add', NS]);
  nsCreated = true;
  await must('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  // Drop (not reject) SYNs to port 25 on the namespace's loopback: what an ISP filter looks like.
  await must('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], 'table inet omrtest { chain input { type filter hook input priority 0; policy accept; tcp dport 25 drop; }; }\n');
  // A destination with no route: connect fails at once with EHOSTUNREACH, no packet leaves.
  await must('ip', ['-n', NS, 'route', 'add', 'unreachable', '198.51.100.0/24']);
  server = spawn('ip', ['netns', 'exec', NS, process.execPath, SERVER_MAIN, '587', join(dir, 'ca.pem')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('good server did not start')), 15_000);
    server!.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('ready')) (clearTimeout(timer), resolve());
    });
    server!.on('exit', (c) => (clearTimeout(timer), reject(new Error(`server exited ${c}`))));
  });
});

after(async () => {
  server?.kill('SIGTERM');
  if (server && server.exitCode === null) await new Promise((r) => setTimeout(r, 300));
  server?.kill('SIGKILL');
  if (nsCreated) await runCommand('ip', ['netns', 'del', NS]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('port 25 filtered while 587 works: warn, diagnosis says use 587, within the timeout', { skip }, async () => {
  const r = await runCommand('ip', ['netns', 'exec', NS, process.execPath, OMR_BIN, 'test', '127.0.0.1', '--port', '587,25', '--ca', join(dir, 'ca.pem'), '--timeout', '2', '--json']);
  const env = JSON.parse(r.stdout);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(env.verdict, 'warn');
  const tcp25 = env.checks.find((c: { id: string }) => c.id === 'tcp:25');
  assert.equal(tcp25.detail.result, 'filtered');
  assert.equal(env.checks.find((c: { id: string }) => c.id === 'tls:587').status, 'pass');
  const d = env.checks.find((c: { id: string }) => c.id === 'diagnosis:port25-blocked');
  assert.ok(d, 'diagnosis:port25-blocked present');
  assert.match(d.hint, /blocks outgoing port 25; use port 587/);
  assert.ok(r.ms < 8000, `took ${r.ms} ms`);
});

test('no route to the host: tcp unreachable, diagnosis:no-connection, exit 1, fast', { skip }, async () => {
  const r = await runCommand('ip', ['netns', 'exec', NS, process.execPath, OMR_BIN, 'test', '198.51.100.7', '--port', '587', '--timeout', '2', '--json']);
  const env = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  assert.equal(env.checks.find((c: { id: string }) => c.id === 'tcp:587').detail.result, 'unreachable');
  assert.ok(env.checks.find((c: { id: string }) => c.id === 'diagnosis:no-connection'));
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});
