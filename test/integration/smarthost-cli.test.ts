// The two commands through the real CLI binary: `omr config generate` with --out / --dry-run /
// --json and usage errors, and `omr setup --answers` replaying a run without prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/omr.js', import.meta.url));
const PASSWORD = `pa:ss#w "o'rd\\ ü x`;

function omr(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', OMR_PASSWORD: PASSWORD, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'omr-smarthost-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('config generate --out --json: mirror paths, modes, steps; password only in the secret file', async (t) => {
  const dir = tmp(t);
  const r = await omr(['config', 'generate', 'nullmailer', '--user', 'office@example.net', '--smarthost', 'omr.tzo.com', '--hostname', 'gw.example.net', '--out', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const env = JSON.parse(r.stdout);
  assert.equal(env.command, 'config generate');
  assert.deepEqual(env.data.files.map((f: { path: string; mode: string }) => [f.path, f.mode]), [
    ['/etc/nullmailer/remotes', '0600'], ['/etc/nullmailer/me', '0644'], ['/etc/nullmailer/defaultdomain', '0644'],
  ]);
  assert.equal(env.data.files[0].target, join(dir, 'etc/nullmailer/remotes'));
  assert.ok(env.data.steps.some((s: string) => /SmartHost rule is enabled/.test(s)));
  assert.ok(!r.stdout.includes('pa:ss'), 'no secret on stdout');
  assert.equal(statSync(join(dir, 'etc/nullmailer/remotes')).mode & 0o777, 0o600);
  assert.ok(readFileSync(join(dir, 'etc/nullmailer/remotes'), 'utf8').includes(`--pass='pa:ss#w "o'"'"'rd\\ ü x'`));
});

test('config generate --dry-run prints a diff and writes nothing', async (t) => {
  const dir = tmp(t);
  const r = await omr(['config', 'generate', 'postfix', '--user', 'u@example.net', '--lan', '10.1.0.0/16', '--hostname', 'gw.example.net', '--out', dir, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\+relayhost = \[omr\.tzo\.com\]:587/);
  assert.match(r.stdout, /secret file created; content not shown/);
  assert.ok(!existsSync(join(dir, 'etc')));
});

test('config generate: usage errors exit 2 and name the flag', async () => {
  const cases: Array<[string[], RegExp, Record<string, string>?]> = [
    [['config', 'generate', 'qmail', '--user', 'u'], /unknown server "qmail"/],
    [['config', 'generate', 'postfix'], /--user is required/],
    [['config', 'generate', 'postfix', '--user', 'u', '--lan', '0.0.0.0/0'], /--lan 0\.0\.0\.0\/0: not a private network/],
    [['config', 'generate', 'postfix', '--user', 'u', '--listen', '0.0.0.0'], /--listen 0\.0\.0\.0: listening on every interface/],
    [['config', 'generate', 'exchange', '--user', 'u', '--tls', 'implicit'], /implicit TLS/],
    [['config', 'generate', 'postfix', '--user', 'u', '--dry-run'], /no password for u/, { OMR_PASSWORD: '' }],
  ];
  for (const [args, re, env] of cases) {
    const r = await omr(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('exchange needs no password and never writes one', async (t) => {
  const dir = tmp(t);
  const r = await omr(['config', 'generate', 'exchange', '--user', 'office@example.net', '--out', dir], { OMR_PASSWORD: '' });
  assert.equal(r.code, 0, r.stderr);
  const script = readFileSync(join(dir, 'omr-smarthost-exchange.ps1'), 'utf8');
  assert.match(script, /^\ufeff/, 'UTF-8 BOM for Windows PowerShell');
  assert.match(script, /Get-Credential/);
});

test('setup --answers replays a run without prompts (YAML), --json envelope', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'answers.yaml'), 'server: exim4\nuser: office@example.net\nlan: [192.168.77.0/24]\nlisten: 192.168.77.2\nhostname: gw.example.net\n');
  const r = await omr(['setup', '--answers', join(dir, 'answers.yaml'), '--out', join(dir, 'out'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const env = JSON.parse(r.stdout);
  assert.equal(env.command, 'setup');
  assert.equal(env.data.answers.server, 'exim4');
  assert.equal(env.data.answers.password, undefined);
  assert.match(env.data.clients.join('\n'), /192\.168\.77\.2, port 25/);
  assert.ok(readFileSync(join(dir, 'out/etc/exim4/passwd.client'), 'utf8').includes(`*:office@example.net:${PASSWORD}`));
});

test('setup --answers refuses a stored password and unknown keys', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ server: 'postfix', user: 'u', password: 'x' }));
  const r1 = await omr(['setup', '--answers', join(dir, 'a.json'), '--out', join(dir, 'out')]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /never store the password/);
  writeFileSync(join(dir, 'b.yaml'), 'server: postfix\nuser: u\nrelayhost: x\n');
  const r2 = await omr(['setup', '--answers', join(dir, 'b.yaml'), '--out', join(dir, 'out')]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /unknown key relayhost/);
});
