import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BodyTap, decodeWords } from '../../src/ops/body-tap.js';
import { bodyHash } from '../../src/relay/body-hash.js';
import { DedupeIndex, dedupeKey } from '../../src/ops/dedupe.js';
import { tempDir } from '../helpers/tmp.js';

const msg = Buffer.from('From: a@example.test\r\nSubject: =?UTF-8?B?UmVjaG51bmcgw6Rs?=\r\n Nr. 7\r\nMessage-ID: <abc@pc7.lan>\r\n\r\nHello\r\n.. dotted\r\n');

describe('BodyTap', () => {
  it('hashes the whole body and finds Message-ID and Subject however the stream is chunked', () => {
    const whole = bodyHash();
    whole.update(msg);
    const want = whole.digest();
    assert.match(want, /^[0-9a-f]{16}$/);
    for (const size of [1, 3, 17, 1000]) {
      const t = new BodyTap();
      for (let i = 0; i < msg.length; i += size) t.update(msg.subarray(i, i + size));
      const r = t.finish();
      assert.equal(r.bodyHash, want);
      assert.equal(r.messageId, '<abc@pc7.lan>');
      assert.equal(r.subject, 'Rechnung äl Nr. 7');
      assert.equal(r.bytes, msg.length);
    }
  });

  it('the body hash is XXH64 (the reference vectors), and one changed byte changes it', () => {
    const hex = (b: string): string => {
      const h = bodyHash();
      h.update(Buffer.from(b, 'latin1'));
      return h.digest();
    };
    assert.equal(hex(''), 'ef46db3751d8e999');
    assert.equal(hex('a'), 'd24ec4f1a98c6e5b');
    assert.equal(hex('abc'), '44bc2cf5ad770999');
    const t = new BodyTap();
    t.update(Buffer.from(msg.toString('latin1').replace('Hello', 'Hellp'), 'latin1'));
    const other = new BodyTap();
    other.update(msg);
    assert.notEqual(t.finish().bodyHash, other.finish().bodyHash);
  });

  it('bounds the header it keeps (no blank line in 1 MB)', () => {
    const t = new BodyTap();
    const line = Buffer.from('X-Filler: ' + 'x'.repeat(1000) + '\r\n');
    for (let i = 0; i < 1000; i++) t.update(line);
    const r = t.finish();
    assert.equal(r.messageId, undefined);
    assert.equal(r.bytes, line.length * 1000);
  });

  it('decodes Q words and leaves unknown charsets alone', () => {
    assert.equal(decodeWords('=?iso-8859-1?Q?Gr=FC=DFe_aus?= =?utf-8?q?K=C3=B6ln?='), 'Grüße ausKöln');
    assert.equal(decodeWords('=?koi8-r?B?8NLJ18XU?='), '=?koi8-r?B?8NLJ18XU?=');
  });
});

describe('DedupeIndex', () => {
  const base = { messageId: '<abc@pc7.lan>', sender: 'a@example.test', recipients: ['x@one.test', 'Y@two.test'], bodyHash: 'h1' };

  it('keys ignore recipient order and case but not the body, envelope or Message-ID', () => {
    const k = dedupeKey(base);
    assert.equal(dedupeKey({ ...base, recipients: ['y@two.test', 'X@one.test'] }), k);
    assert.notEqual(dedupeKey({ ...base, bodyHash: 'h2' }), k);
    assert.notEqual(dedupeKey({ ...base, recipients: ['x@one.test'] }), k);
    assert.notEqual(dedupeKey({ ...base, sender: 'b@example.test' }), k);
    assert.notEqual(dedupeKey({ ...base, messageId: '<other@pc7.lan>' }), k);
  });

  it('reports the first copy inside the window and forgets it after', () => {
    let now = 0;
    const d = new DedupeIndex(600_000, undefined, () => now);
    const k = dedupeKey(base);
    assert.equal(d.claim(k, 'ID1'), undefined);
    now += 599_000;
    assert.deepEqual(d.claim(k, 'ID2'), { id: 'ID1', at: 0 });
    now += 2000;
    assert.equal(d.claim(k, 'ID3'), undefined);
    assert.deepEqual(d.claim(k, 'ID4')?.id, 'ID3');
  });

  it('window 0 turns it off', () => {
    const d = new DedupeIndex(0);
    assert.equal(d.claim('k', 'a'), undefined);
    assert.equal(d.claim('k', 'b'), undefined);
  });

  it('persists across restarts, drops expired entries and compacts its file', async () => {
    const t = tempDir();
    try {
      const file = join(t.path, 'ops', 'dedupe.jsonl');
      let now = 0;
      const a = new DedupeIndex(60_000, file, () => now);
      await a.load();
      for (let i = 0; i < 3000; i++) {
        now += 100;
        a.claim(`k${i}`, `id${i}`);
      }
      await a.flush();
      const lines = readFileSync(file, 'utf8').trim().split('\n').length;
      assert.ok(lines < 3000, `compacted (${lines} lines)`);
      const b = new DedupeIndex(60_000, file, () => now);
      await b.load();
      assert.equal(b.claim('k2999', 'new')?.id, 'id2999');
      assert.equal(b.claim('k0', 'new'), undefined, 'expired entry not restored');
      assert.ok(b.size <= 602);
      await b.flush();
    } finally {
      t.cleanup();
    }
  });
});
