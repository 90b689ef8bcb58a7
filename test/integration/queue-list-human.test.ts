// `omr queue list` for people: mailq-style lines, written in pieces as they are produced (a long
// queue is never one string). Every message must appear once, in age order, with its last reply,
// and the total must add up, also when the output spans many pieces.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { fillSpool } from '../helpers/queue-spool.js';
import { tempSpool } from '../helpers/relay.js';

const run = promisify(execFile);
const OMR = resolve(import.meta.dirname, '../../../bin/omr.js');

test('queue list (human): one line per message in age order, last replies, the total; 3,000 messages span many writes', async () => {
  const spool = await tempSpool();
  try {
    const filled = fillSpool(spool.dir, 3000);
    const { stdout } = await run(process.execPath, [OMR, 'queue', 'list', '--spool', spool.dir, '--no-color'], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
    assert.ok(stdout.length > 5 * 64 * 1024, `output spans several 64 KiB pieces (${stdout.length} bytes)`);
    const lines = stdout.split('\n');
    assert.match(lines[0]!, /^ID\s+STATE\s+AGE\s+SIZE TRIES\s+NEXT\s+SENDER -> RECIPIENTS$/);
    const ids = lines.filter((l) => /^[0-9A-Z]{17} /.test(l)).map((l) => l.slice(0, 17));
    const want = filled.map((f) => f.record).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)).map((r) => r.id);
    assert.deepEqual(ids, want, 'every message once, oldest first');
    const replies = lines.filter((l) => /^ {18}last reply: /.test(l)).length;
    assert.equal(replies, filled.filter((f) => f.record.lastReply).length, 'a last-reply line for each message that has one');
    const kib = Math.ceil(filled.reduce((n, f) => n + f.record.size, 0) / 1024);
    assert.equal(lines.at(-2), `-- ${kib} KiB in 3000 message(s).`);
    assert.equal(lines.at(-1), '', 'ends with a newline');
  } finally {
    await spool.cleanup();
  }
});
