// npx-style use: the packed tarball installs into a fresh prefix and works from there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('npm pack -> install into a temporary prefix -> omr-cli --version, omr --help, man pages', { timeout: 180_000 }, () => {
  const dir = tempDir('omr-pack-');
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir.path], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const info = JSON.parse(out)[0] as { filename: string; files: Array<{ path: string }> };
    const files = info.files.map((f) => f.path);
    for (const m of ['man/omr.1', 'man/omr.conf.5', 'bin/omr.js', 'dist/src/cli/main.js']) assert.ok(files.includes(m), `${m} not in the tarball`);
    assert.ok(!files.some((f) => f.startsWith('dist/test/')), 'tests must not be packed');
    const prefix = join(dir.path, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir.path, info.filename)], { stdio: 'pipe' });
    const version = execFileSync(join(prefix, 'bin', 'omr-cli'), ['--version'], { encoding: 'utf8' }).trim();
    assert.match(version, /^\d+\.\d+\.\d+$/);
    const help = execFileSync(join(prefix, 'bin', 'omr'), ['--help'], { encoding: 'utf8' });
    assert.match(help, /Usage: omr/);
    assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'omr.1')), 'man page not installed by npm');
  } finally {
    dir.cleanup();
  }
});
