// `omr simulate` as a process: JSON envelope on exit, events on stderr, status endpoint,
// SIGUSR1, accounts file, usage errors.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { RawSmtp, runTool, spawnSimulateCli } from '../helpers/simulator.js';

const OMR = new URL('../../../bin/omr.js', import.meta.url).pathname;

describe('omr simulate (process)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'omr-sim-cli-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('serves nodemailer, answers the status endpoint and SIGUSR1, prints one envelope on SIGTERM', async () => {
    const ca = join(dir, 'ca.pem');
    const cli = await spawnSimulateCli(['--user', 'u@example.test', '--ca-out', ca, '--status', '127.0.0.1:0'], { OMR_PASSWORD: 'pw-123456' });
    try {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: cli.port, requireTLS: true, auth: { user: 'u@example.test', pass: 'pw-123456' }, tls: { ca: readFileSync(ca), servername: 'localhost' } });
      await t.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'hello' });
      const status = await (await fetch(`http://127.0.0.1:${cli.statusPort}/status`)).json();
      assert.equal(status.stats.accepted, 1);
      const inj = await fetch(`http://127.0.0.1:${cli.statusPort}/faults`, { method: 'POST', body: JSON.stringify({ kind: 'greeting421', count: 1 }) });
      assert.equal(inj.status, 201);
      const bad = await fetch(`http://127.0.0.1:${cli.statusPort}/faults`, { method: 'POST', body: JSON.stringify({ kind: 'nonsense' }) });
      assert.equal(bad.status, 400);
      const c = await RawSmtp.open(cli.port);
      assert.equal(c.greeting.code, 421);
      c.close();
      cli.child.kill('SIGUSR1');
      await new Promise((r) => setTimeout(r, 200));
      assert.match(cli.stderr(), /"event":"stats"/);
    } finally {
      const out = await cli.stop();
      assert.equal(out.code, 0, out.stderr);
      const env = JSON.parse(out.stdout); // exactly one JSON document on stdout
      assert.equal(env.schemaVersion, 1);
      assert.equal(env.verdict, 'pass');
      assert.equal(env.data.stats.accepted, 1);
      assert.equal(env.data.stats.rejected.byReason['fault:greeting421'], 1);
      const events = out.stderr.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(events.some((e) => e.event === 'session' && e.type === 'accepted'));
      assert.doesNotMatch(out.stderr + out.stdout, /pw-123456/);
    }
  });

  it('takes several accounts from a 0600 file and stops by itself with --exit-after', async () => {
    const accounts = join(dir, 'accounts.txt');
    const ca = join(dir, 'ca2.pem');
    await writeFile(accounts, '# test accounts\none@example.test:pw-one\ntwo@example.test:pw:two\n', { mode: 0o600 });
    const cli = await spawnSimulateCli(['--accounts', accounts, '--ca-out', ca, '--exit-after', '2s']);
    const clients: RawSmtp[] = [];
    try {
      const caPem = readFileSync(ca, 'utf8');
      for (const [user, pass] of [['one@example.test', 'pw-one'], ['two@example.test', 'pw:two']] as const) {
        const c = await RawSmtp.open(cli.port);
        clients.push(c);
        assert.equal((await c.login(caPem, user, pass)).code, 235, `${user} authenticates`);
      }
      const wrong = await RawSmtp.open(cli.port);
      clients.push(wrong);
      assert.equal((await wrong.login(caPem, 'one@example.test', 'pw:two')).code, 535);
    } finally {
      for (const c of clients) c.close();
      const out = await cli.waitExit(8000);
      assert.equal(out.code, 0, out.stderr);
      const env = JSON.parse(out.stdout);
      assert.equal(env.data.stoppedBy, 'exit-after');
      assert.deepEqual(env.data.accounts, ['one@example.test', 'two@example.test']);
      assert.equal(env.data.stats.sessions, 2);
    }
  });

  it('prints human event lines without colour when stderr is not a TTY', async () => {
    const r = await runTool(process.execPath, [OMR, 'simulate', '--listen', '127.0.0.1:0', '--user', 'u', '--exit-after', '500ms'], { env: { ...process.env, OMR_PASSWORD: 'x' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^omr simulate: listening on 127\.0\.0\.1:\d+ \(SMTP \+ STARTTLS\)/m);
    assert.doesNotMatch(r.stderr + r.stdout, /\x1b\[/);
    assert.match(r.stdout, /simulate:listen/);
  });

  it('usage errors exit 2 and name the problem', async () => {
    const env = { ...process.env, OMR_PASSWORD: '' };
    const noAccount = await runTool(process.execPath, [OMR, 'simulate', '--listen', '127.0.0.1:0'], { env });
    assert.equal(noAccount.code, 2);
    assert.match(noAccount.stderr, /no account/);
    const loose = join(dir, 'loose.txt');
    await writeFile(loose, 'pw\n');
    await chmod(loose, 0o644);
    const perms = await runTool(process.execPath, [OMR, 'simulate', '--listen', '127.0.0.1:0', '--user', 'u', '--password-file', loose], { env });
    assert.equal(perms.code, 2);
    assert.match(perms.stderr, /too open/);
    const delay = await runTool(process.execPath, [OMR, 'simulate', '--user', 'u', '--delay-reply', 'helo:10'], { env: { ...env, OMR_PASSWORD: 'x' } });
    assert.equal(delay.code, 2);
    assert.match(delay.stderr, /--delay-reply/);
    const status = await runTool(process.execPath, [OMR, 'simulate', '--listen', '127.0.0.1:0', '--user', 'u', '--status', '0.0.0.0:8025', '--json'], { env: { ...env, OMR_PASSWORD: 'x' } });
    assert.equal(status.code, 2);
    assert.equal(JSON.parse(status.stdout).ok, false);
  });

  it('an unusable --store directory is a usage error', async () => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const r = await runTool(process.execPath, [OMR, 'simulate', '--listen', '127.0.0.1:0', '--user', 'u', '--store', join(file, 'sub')], { env: { ...process.env, OMR_PASSWORD: 'x' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--store .*not-a-dir/);
  });

  it('a port already in use is a failure (exit 1) with a hint', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (blocker.address() as { port: number }).port;
      const r = await runTool(process.execPath, [OMR, 'simulate', '--listen', `127.0.0.1:${port}`, '--user', 'u', '--json'], { env: { ...process.env, OMR_PASSWORD: 'x' } });
      assert.equal(r.code, 1);
      assert.match(JSON.parse(r.stdout).data.error.message, /EADDRINUSE/);
      assert.match(r.stderr, /hint: .*--listen/);
    } finally {
      blocker.close();
    }
  });
});
