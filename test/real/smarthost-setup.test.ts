// The wizard in a real terminal (a private tmux server): answers typed key by key, validation
// seen on screen, files written under --out; and Ctrl-C at the final question leaves nothing.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, requireOrSkip } from '../helpers/mta.js';

const PASSWORD = `pa:ss#w "o'rd\\ ü x`;

class Tty {
  readonly socket = `omr-setup-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(private readonly dir: string) {}
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
  start(cmd: string, env: Record<string, string>): void {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.tmux('new-session', '-d', '-s', 'w', '-x', '160', '-y', '60', ...envArgs, `cd ${this.dir} && ${cmd}; echo EXIT=$? > ${this.dir}/exit; sleep 60`);
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 'w');
  }
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let s = '';
    while (Date.now() < until) {
      s = this.screen();
      if (re.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`screen never showed ${re}:\n${s}`);
  }
  /** Literal text (no key-name interpretation), then optionally Enter. */
  type(text: string, enter = true): void {
    this.tmux('send-keys', '-t', 'w', '-l', text);
    if (enter) this.tmux('send-keys', '-t', 'w', 'Enter');
  }
  key(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'w', ...keys);
  }
  async exitCode(timeoutMs = 20_000): Promise<string> {
    const file = join(this.dir, 'exit');
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !existsSync(file)) await new Promise((r) => setTimeout(r, 100));
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : 'no exit';
  }
  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}

function setup(t: TestContext): { tty: Tty; dir: string } | undefined {
  const ok = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
  if (!requireOrSkip(t, 'tmux', ok)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'omr-setup-tty-'));
  const tty = new Tty(dir);
  t.after(() => {
    tty.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { tty, dir };
}

async function answerUpToPlan(tty: Tty): Promise<void> {
  await tty.waitFor(/Which mail server/);
  tty.type('3', false); // the third server, exim4, whatever was detected as the default
  await tty.waitFor(/❯ Exim 4/);
  tty.key('Enter');
  await tty.waitFor(/OMR account/);
  tty.type('office@example.net');
  await tty.waitFor(/OMR password/);
  tty.type(PASSWORD);
  await tty.waitFor(/Smarthost \(host\[:port\]\)/);
  tty.key('Enter');
  await tty.waitFor(/TLS to the smarthost/);
  tty.key('Enter');
  await tty.waitFor(/Office network allowed/);
  tty.key('C-u');
  tty.type('8.8.8.0/24');
  await tty.waitFor(/not a private network/);
  tty.key('C-u');
  tty.type('192.168.77.0/24');
  await tty.waitFor(/LAN address .* to listen on/);
  tty.key('C-u');
  tty.type('0.0.0.0');
  await tty.waitFor(/exposes the server/);
  tty.key('C-u');
  tty.type('192.168.77.2');
  await tty.waitFor(/host name \(FQDN\)/);
  tty.key('C-u');
  tty.type('gw.office.example');
  await tty.waitFor(/Write these files now\?/);
}

test('omr setup in a terminal: typed answers, validation on screen, files under --out', { timeout: 90_000 }, async (t) => {
  const s = setup(t);
  if (!s) return;
  const { tty, dir } = s;
  tty.start(`node ${REPO}/bin/omr.js setup --out out`, { NO_COLOR: '1', OMR_PASSWORD: '' });
  await answerUpToPlan(tty);
  const plan = tty.screen();
  assert.match(plan, /Plan for \S+: relay through omr\.tzo\.com:587 \(starttls\) as office@example\.net/);
  assert.match(plan, /\[secret\]/);
  tty.key('Enter');
  await tty.waitFor(/Run omr test/);
  tty.type('n');
  await tty.waitFor(/Run omr check-exposure/);
  tty.type('n');
  assert.equal(await tty.exitCode(), 'EXIT=0', tty.screen());
  const screen = tty.screen();
  assert.match(screen, /Outgoing server \(SMTP\) 192\.168\.77\.2, port 25/);
  assert.doesNotMatch(screen, /pa:ss#w/, 'the password is never echoed');
  const server = /Plan for (\S+):/.exec(plan)![1]!;
  assert.equal(server, 'exim4');
  const files = execFileSync('find', [join(dir, 'out'), '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(files.length >= 1, `${server}: files written`);
  const secretFiles = files.filter((f) => readFileSync(f, 'utf8').includes(PASSWORD));
  assert.ok(secretFiles.length >= 1, `${server}: the typed password reached a credential file`);
  for (const f of secretFiles) assert.equal(statSync(f).mode & 0o007, 0, `${f} is not world-readable`);
});

test('omr setup: Ctrl-C at the confirmation leaves nothing written', { timeout: 90_000 }, async (t) => {
  const s = setup(t);
  if (!s) return;
  const { tty, dir } = s;
  tty.start(`node ${REPO}/bin/omr.js setup --out out`, { NO_COLOR: '1', OMR_PASSWORD: '' });
  await answerUpToPlan(tty);
  tty.key('C-c');
  const code = await tty.exitCode();
  assert.notEqual(code, 'EXIT=0');
  assert.ok(!existsSync(join(dir, 'out')) || readdirSync(join(dir, 'out')).length === 0, 'nothing written');
});
