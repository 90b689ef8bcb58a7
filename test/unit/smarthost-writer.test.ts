// Managed-block merge, diff and the writer: idempotent, unrelated settings untouched, superseded
// settings commented, backups on the system path, --out mirrors, dry-run writes nothing,
// secrets never in a diff and never world-readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEGIN, END, mergeContent } from '../../src/smarthost/merge.js';
import { unifiedDiff } from '../../src/smarthost/diff.js';
import { applyPlan, planFiles } from '../../src/smarthost/writer.js';
import { generateAndApply } from '../../src/smarthost/apply.js';
import { generate } from '../../src/smarthost/index.js';
import { fixedAnswers, NASTY_PASSWORD } from '../helpers/smarthost-answers.js';

const EXISTING_MAIN_CF = 'myorigin = /etc/mailname\nrelayhost =\nsmtpd_relay_restrictions = permit_mynetworks\n    permit_sasl_authenticated defer_unauth_destination\nalias_maps = hash:/etc/aliases\n';

test('block merge: appends once, replaces in place, supersedes same-name settings', () => {
  const file = { content: 'relayhost = [a]:587\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n', merge: { kind: 'block' as const, comment: '#', supersede: 'postfix' as const } };
  const once = mergeContent(file, EXISTING_MAIN_CF);
  assert.match(once, /^myorigin = \/etc\/mailname$/m, 'unrelated setting kept');
  assert.match(once, /^alias_maps = hash:\/etc\/aliases$/m);
  assert.match(once, /^# \[omr-cli superseded\] relayhost =$/m);
  assert.match(once, /^# \[omr-cli superseded\]     permit_sasl_authenticated/m, 'continuation line superseded too');
  assert.equal(mergeContent(file, once), once, 'idempotent');
  const changed = mergeContent({ ...file, content: 'relayhost = [b]:587\n' }, once);
  assert.equal(changed.split(BEGIN).length, 2, 'still one block');
  assert.match(changed, /relayhost = \[b\]:587/);
  assert.doesNotMatch(changed, /relayhost = \[a\]/);
  assert.ok(changed.indexOf('myorigin') < changed.indexOf(BEGIN));
});

test('block merge: inserted before MAILER lines in sendmail.mc', () => {
  const mc = "divert(0)dnl\nFEATURE(`access_db')dnl\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n";
  const out = mergeContent({ content: "define(`SMART_HOST', `[x]')dnl\n", merge: { kind: 'block', comment: 'dnl #', before: /^\s*MAILER(_DEFINITIONS)?\(/m } }, mc);
  assert.ok(out.indexOf('SMART_HOST') < out.indexOf("MAILER(`local')"));
  assert.ok(out.includes(`dnl # ${END}`));
});

test('unified diff marks added and removed lines', () => {
  const d = unifiedDiff('/etc/x', 'a\nb\nc\n', 'a\nB\nc\nd\n');
  assert.match(d, /^-b$/m);
  assert.match(d, /^\+B$/m);
  assert.match(d, /^\+d$/m);
  assert.equal(unifiedDiff('/etc/x', 'same\n', 'same\n'), '');
});

test('--out mirrors system paths; secrets 0600; second run changes nothing', async () => {
  const out = mkdtempSync(join(tmpdir(), 'omr-gen-out-'));
  try {
    const a = fixedAnswers('postfix');
    const first = await generateAndApply(a, { out });
    assert.equal(first.data.mode, 'out');
    const sasl = join(out, 'etc/postfix/sasl_passwd');
    assert.equal(statSync(sasl).mode & 0o777, 0o600);
    assert.ok(readFileSync(sasl, 'utf8').includes(NASTY_PASSWORD));
    assert.ok(!first.data.diff.includes(NASTY_PASSWORD), 'secret never in the diff');
    assert.ok(first.data.steps.some((s) => s.startsWith('install -m 0600 -o root -g root')));
    const second = await generateAndApply(a, { out });
    assert.ok(second.data.files.every((f) => !f.changed));
    assert.equal(readdirSync(join(out, 'etc/postfix')).filter((f) => f.includes('omr-tmp')).length, 0, 'no temp files left');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('dry-run writes nothing and shows the diff against the existing file', async () => {
  const out = mkdtempSync(join(tmpdir(), 'omr-gen-dry-'));
  try {
    mkdirSync(join(out, 'etc/postfix'), { recursive: true });
    writeFileSync(join(out, 'etc/postfix/main.cf'), EXISTING_MAIN_CF);
    const r = await generateAndApply(fixedAnswers('postfix'), { out, dryRun: true });
    assert.equal(readFileSync(join(out, 'etc/postfix/main.cf'), 'utf8'), EXISTING_MAIN_CF);
    assert.ok(!existsSync(join(out, 'etc/postfix/sasl_passwd')));
    assert.match(r.data.diff, /^\+relayhost = \[omr\.tzo\.com\]:587$/m);
    assert.match(r.data.diff, /secret file created; content not shown/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('system mode backs up what it replaces, keeps the backup private, fixes a loose mode', () => {
  const root = mkdtempSync(join(tmpdir(), 'omr-gen-sys-'));
  try {
    const g = generate(fixedAnswers('msmtp'));
    const f = { ...g.files[0]!, path: join(root, 'msmtprc'), owner: undefined };
    writeFileSync(f.path, 'old secret\n', { mode: 0o644 });
    const plan = planFiles([f], {});
    const res = applyPlan(plan, { system: true, now: new Date('2026-01-02T03:04:05Z') });
    assert.equal(res.backups.length, 1);
    assert.equal(res.backups[0], `${f.path}.omr-backup-20260102-030405`);
    assert.equal(readFileSync(res.backups[0]!, 'utf8'), 'old secret\n');
    assert.equal(statSync(res.backups[0]!).mode & 0o077, 0, 'backup not readable by others');
    assert.equal(statSync(f.path).mode & 0o777, 0o600);
    assert.ok(planFiles([f], {}).every((p) => !p.changed), 'rerun: nothing to do');
    // Same content but someone loosened the mode: counted as a change and fixed.
    chmodSync(f.path, 0o644);
    const again = planFiles([f], {});
    assert.ok(again[0]!.changed);
    applyPlan(again, { system: true });
    assert.equal(statSync(f.path).mode & 0o777, 0o600);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
