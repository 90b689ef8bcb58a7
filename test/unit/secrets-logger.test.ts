import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { readPasswordFile, resolvePassword, redactSecret } from '../../src/core/secrets.js';
import { createLogger } from '../../src/core/logger.js';
import { UsageError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';

test('password file: first line only, loose permissions refused', () => {
  const dir = tempDir();
  try {
    const f = join(dir.path, 'pw');
    writeFileSync(f, 'p@ss: #word "x"\nsecond line\n');
    chmodSync(f, 0o600);
    assert.equal(readPasswordFile(f, false), 'p@ss: #word "x"');
    chmodSync(f, 0o640);
    assert.throws(() => readPasswordFile(f, false), (e: unknown) => e instanceof UsageError && /too open/.test(e.message) && /chmod 600/.test(e.hint!));
  } finally {
    dir.cleanup();
  }
});

test('OMR_PASSWORD is used when no file is given; none gives undefined without a TTY', async () => {
  assert.equal(await resolvePassword({ env: { OMR_PASSWORD: 's3cret' } }), 's3cret');
  assert.equal(await resolvePassword({ env: {} }), undefined);
});

test('redaction removes the secret and its base64 form', () => {
  const b64 = Buffer.from('hunter2').toString('base64');
  assert.equal(redactSecret(`AUTH PLAIN x hunter2 ${b64}`, 'hunter2'), 'AUTH PLAIN x [redacted] [redacted]');
});

test('logger writes JSON lines with secrets redacted and honours the level', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const log = createLogger({ format: 'json', level: 'info', stream: out, now: () => new Date(0) });
  log.debug('hidden');
  log.child({ component: 'relay' }).info('session.connect', { client: '192.168.1.5', password: 'x' });
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0], { time: '1970-01-01T00:00:00.000Z', level: 'info', event: 'session.connect', component: 'relay', client: '192.168.1.5', password: '[redacted]' });
});
