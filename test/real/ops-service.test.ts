// The unit `omr relay install-service` writes is accepted by systemd's own checker and scores as
// well hardened by `systemd-analyze security` (needs systemd-analyze: Debian package systemd).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parseEnvelope, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function haveAnalyze(t: { skip(msg: string): void }): boolean {
  if (spawnSync('systemd-analyze', ['--version']).status === 0) return true;
  if (process.env.CI === 'true') assert.fail('systemd-analyze is not installed (Debian package systemd; CI requires it)');
  t.skip('systemd-analyze not installed (Debian package systemd)');
  return false;
}

it('install-service writes a unit systemd-analyze verifies, with exposure below 2.0', async (t) => {
  if (!haveAnalyze(t)) return;
  const d = tempDir('omr-svc-');
  try {
    const r = await runCli(['relay', 'install-service', '--out', d.path, '--spool', '/var/spool/omr', '--password-file', '/etc/omr/password', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const env = parseEnvelope(r);
    const unit = join(d.path, 'etc/systemd/system/omr-relay.service');
    assert.equal(env.data.files[0].path, unit);
    assert.ok(existsSync(unit));
    assert.equal(readFileSync(unit, 'utf8'), env.data.unit);
    execFileSync('systemd-analyze', ['verify', '--man=no', unit], { stdio: 'pipe' });
    const sec = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
    const m = /Overall exposure level for omr-relay\.service: (\d+\.\d+)/.exec(sec.stdout + sec.stderr);
    assert.ok(m, sec.stdout + sec.stderr);
    assert.ok(Number(m[1]) < 2.0, `exposure ${m[1]}`);
  } finally {
    d.cleanup();
  }
});
