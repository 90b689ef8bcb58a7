// The man pages are generated from the command specs: the committed files must match, render
// without a groff warning, and name every option --help lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { commands } from '../../src/cli/registry.js';
import { allPages } from '../../src/cli/man.js';
import { GLOBAL_OPTIONS } from '../../src/cli/build.js';
import type { CommandSpec } from '../../src/cli/spec.js';
import { RELAY_KEYS } from '../../src/config/relay-keys.js';
import { REPO_ROOT } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; man: string[] };
const pages = allPages(commands, pkg.version);

function leaves(s: CommandSpec): CommandSpec[] {
  return s.subcommands?.length ? s.subcommands.flatMap(leaves) : [s];
}

/** What a reader sees: roff escapes for hyphens undone. */
function plain(page: string): string {
  return page.replace(/\\-/g, '-').replace(/\\e/g, '\\');
}

test('committed man pages are up to date (run `npm run man`)', () => {
  for (const [name, text] of pages) {
    const path = join(REPO_ROOT, 'man', name);
    assert.ok(existsSync(path), `man/${name} is missing`);
    assert.equal(readFileSync(path, 'utf8'), text, `man/${name} differs from the specs`);
  }
  assert.deepEqual([...pkg.man].sort(), [...pages.keys()].map((n) => `man/${n}`).sort());
});

test('every option of every command is on its man page', () => {
  for (const spec of commands) {
    const page = plain(pages.get(`${spec.manPage ?? `omr-${spec.name}`}.1`)!);
    for (const leaf of leaves(spec)) {
      for (const o of [...(leaf.options ?? []).filter((x) => !x.hidden), ...GLOBAL_OPTIONS]) {
        const long = /--[a-z0-9-]+/.exec(o.flags)![0];
        assert.ok(page.includes(long), `${long} of "${leaf.name}" missing from ${spec.manPage}`);
      }
    }
  }
  const conf = plain(pages.get('omr.conf.5')!);
  for (const k of RELAY_KEYS) assert.ok(conf.includes(k.key), `key ${k.key} missing from omr.conf.5`);
});

test('man pages render with groff without a warning', (t) => {
  try {
    execFileSync('groff', ['--version'], { stdio: 'ignore' });
  } catch {
    if (process.env.CI === 'true') assert.fail('groff is not installed (CI requires it)');
    t.skip('groff not installed');
    return;
  }
  for (const name of pages.keys()) {
    const r = execFileSync('sh', ['-c', `groff -t -man -ww -z "${join(REPO_ROOT, 'man', name)}" 2>&1`], { encoding: 'utf8' });
    assert.equal(r, '', `groff warnings for ${name}:\n${r}`);
  }
});
