// The benchmark harness against real peers: smtp-sink, smtp-source, a private Postfix instance
// and our relay. Small loads only; each run must leave no process and no temp dir behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bigMessageCheck } from '../../bench/lib/memory.js';
import { findTool } from '../../bench/lib/proc.js';
import { runScenario, type RunConfig } from '../../bench/lib/scenario.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const missing = ['smtp-source', 'smtp-sink', 'postfix'].filter((t) => !findTool(t));
const notRoot = process.getuid?.() !== 0;
function skipReason(): string | false {
  if (missing.length) {
    if (process.env.CI === 'true') throw new Error(`missing tools: ${missing.join(', ')} (Debian package postfix)`);
    return `needs ${missing.join(', ')} (Debian package postfix)`;
  }
  if (notRoot) {
    if (process.env.CI === 'true') throw new Error('the private Postfix instance needs root');
    return 'needs root for a private Postfix instance';
  }
  return false;
}
const skip = skipReason();

const cfg: RunConfig = { sessions: 4, upstream: 5, newConnectionPerMessage: false, postfixCache: false, omrArgs: [], stallMs: 30_000, keep: false };

function benchDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('omr-bench-'));
}

for (const relay of ['postfix', 'omr'] as const) {
  test(`${relay}: every message reaches the 5-connection sink, measured and cleaned up`, { skip, timeout: 120_000 }, async () => {
    const before = new Set(benchDirs());
    // Enough messages that the run spans several 100 ms samples of the upstream connections
    // (60 were delivered by Postfix between two samples once: "upstream peak 0").
    const r = await runScenario(relay, { name: 't', messages: 600, size: 2048 }, cfg);
    assert.equal(r.problems, 0);
    assert.ok(r.acceptSec > 0 && r.e2eSec >= r.acceptSec, `accept ${r.acceptSec} s, e2e ${r.e2eSec} s`);
    assert.ok(r.peakRssBytes > 1048576, `peak RSS ${r.peakRssBytes}`);
    assert.ok(r.peakUpstream <= cfg.upstream + 1, `upstream peak ${r.peakUpstream}`);
    if (r.e2eSec >= 0.5) assert.ok(r.peakUpstream >= 1, `upstream peak ${r.peakUpstream} in a ${r.e2eSec} s run`);
    assert.deepEqual(benchDirs().filter((d) => !before.has(d)), [], 'temp dirs removed');
  });
}

test('npm run bench prints the table with the omr/postfix ratio and writes JSON', { skip, timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'omr-benchtest-'));
  try {
    const json = join(dir, 'out.json');
    const r = spawnSync(process.execPath, [RUN, '--scenario', '1k,100k', '--scale', '0.01', '--sessions', '5', '--json', json], { encoding: 'utf8', timeout: 280_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /100 x 1 KiB\s+postfix/);
    assert.match(r.stdout, /20 x 100 KiB\s+omr/);
    assert.equal((r.stdout.match(/omr\/postfix\s+\d+\.\d\dx/g) ?? []).length, 2);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { results: unknown[]; summary: { ratios: unknown[] } };
    assert.equal(out.results.length, 4);
    assert.equal(out.summary.ratios.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench rejects unknown options with exit 2', { skip: missing.length ? 'needs postfix tools' : false }, () => {
  const r = spawnSync(process.execPath, [RUN, '--bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: npm run bench/);
});

test('memory: one 25 MiB message adds less than 32 MiB to the relay', { skip, timeout: 120_000 }, async () => {
  const c = await bigMessageCheck(cfg);
  assert.ok(c.ok, `${c.name}: ${c.value.toFixed(1)} MiB (${c.detail})`);
});
