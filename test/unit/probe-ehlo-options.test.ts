import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCapabilities, describeCapabilities, parseEhlo } from '../../src/probe/ehlo.js';
import { ReplyParser } from '../../src/probe/reply.js';
import { classifyConnectErrno } from '../../src/probe/errors.js';
import { plan } from '../../src/probe/port-probe.js';
import { portTlsMode } from '../../src/probe/types.js';
import { explainTlsError } from '../../src/probe/tls-facts.js';
import { parsePortChoices } from '../../src/commands/test/spec.js';
import { targetPhase, transcriptLine } from '../../src/commands/test/run.js';
import { UsageError } from '../../src/core/errors.js';

const reply = (t: string) => new ReplyParser().push(t)[0]!;

test('EHLO: capabilities, old AUTH= form, SIZE without value', () => {
  const c = parseEhlo(reply('250-smtp.tzo.test hello\r\n250-PIPELINING\r\n250-SIZE 20971520\r\n250-AUTH PLAIN login\r\n250-AUTH=CRAM-MD5\r\n250-8BITMIME\r\n250 STARTTLS\r\n'));
  assert.equal(c.greetingName, 'smtp.tzo.test');
  assert.deepEqual([c.starttls, c.pipelining, c.eightBitMime, c.size], [true, true, true, 20971520]);
  assert.deepEqual([...c.auth].sort(), ['CRAM-MD5', 'LOGIN', 'PLAIN']);
  assert.equal(describeCapabilities(c), 'STARTTLS, AUTH PLAIN LOGIN CRAM-MD5, SIZE 20 MiB, PIPELINING, 8BITMIME');
  assert.equal(parseEhlo(reply('250-x\r\n250 SIZE\r\n')).size, 0);
  assert.equal(describeCapabilities(parseEhlo(reply('250 x\r\n'))), 'no extensions');
});

test('EHLO comparison reports added and removed keywords', () => {
  const before = parseEhlo(reply('250-x\r\n250-PIPELINING\r\n250 STARTTLS\r\n'));
  const after = parseEhlo(reply('250-x\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n'));
  assert.deepEqual(compareCapabilities(before, after), { added: ['AUTH PLAIN'], removed: ['STARTTLS'] });
});

test('connect errno classification', () => {
  assert.equal(classifyConnectErrno('ECONNREFUSED'), 'refused');
  assert.equal(classifyConnectErrno('EHOSTUNREACH'), 'unreachable');
  assert.equal(classifyConnectErrno('ENETUNREACH'), 'unreachable');
  assert.equal(classifyConnectErrno('ETIMEDOUT'), 'filtered');
  assert.equal(classifyConnectErrno('ECONNRESET'), 'reset');
  assert.equal(classifyConnectErrno(undefined), 'error');
});

test('TLS error explanations', () => {
  assert.match(explainTlsError('ERR_TLS_CERT_ALTNAME_INVALID'), /different host/);
  assert.match(explainTlsError('CERT_HAS_EXPIRED'), /expired/);
  assert.match(explainTlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), /does not trust/);
});

test('plan: phase order per TLS mode and --stop-after', () => {
  const names = (o: Parameters<typeof plan>[0]) => plan(o).map((s) => s.phase).join(' ');
  assert.equal(names({ tls: 'starttls', stopAfter: 'data', user: 'u' }), 'tcp banner ehlo starttls tls auth mail rcpt data');
  assert.equal(names({ tls: 'implicit', stopAfter: 'auth', user: 'u' }), 'tcp tls banner ehlo auth');
  assert.equal(names({ tls: 'implicit', stopAfter: 'connect' }), 'tcp');
  assert.equal(names({ tls: 'none', stopAfter: 'rcpt' }), 'tcp banner ehlo mail rcpt');
  assert.equal(names({ tls: 'starttls', stopAfter: 'banner' }), 'tcp banner');
  assert.equal(portTlsMode('auto', 465), 'implicit');
  assert.equal(portTlsMode('auto', 587), 'starttls');
  assert.equal(portTlsMode('none', 465), 'none');
});

test('--port list with per-port TLS modes', () => {
  assert.deepEqual(parsePortChoices('587, 25,4650/implicit,587'), [{ port: 587 }, { port: 25 }, { port: 4650, tls: 'implicit' }]);
  assert.throws(() => parsePortChoices('25/tls'), /starttls, implicit or none/);
  assert.throws(() => parsePortChoices('70000'), /out of range/);
  assert.throws(() => parsePortChoices(','), /list of ports/);
});

test('target phase from flags, and contradictions are usage errors', () => {
  const base = { port: [{ port: 587 }], timeout: 1000, tls: 'auto' as const };
  assert.equal(targetPhase(base), 'tls');
  assert.equal(targetPhase({ ...base, tls: 'none' }), 'ehlo');
  assert.equal(targetPhase({ ...base, user: 'u' }), 'auth');
  assert.equal(targetPhase({ ...base, user: 'u', from: 'a@b', to: 'c@d' }), 'rcpt');
  assert.equal(targetPhase({ ...base, from: 'a@b', to: 'c@d', send: true }), 'data');
  assert.equal(targetPhase({ ...base, user: 'u', stopAfter: 'banner' }), 'banner');
  for (const bad of [
    { ...base, from: 'a@b' },
    { ...base, send: true },
    { ...base, user: 'u', tls: 'none' as const },
    { ...base, stopAfter: 'auth' as const },
    { ...base, stopAfter: 'mail' as const },
    { ...base, from: 'a@b', to: 'c@d', stopAfter: 'data' as const },
    { ...base, tls: 'none' as const, stopAfter: 'tls' as const },
  ]) assert.throws(() => targetPhase(bad), UsageError, JSON.stringify(bad));
});

test('transcript lines: swaks arrows, ~ inside TLS', () => {
  assert.equal(transcriptLine(587, { dir: 'send', line: 'EHLO x', atMs: 1, tls: false }), '[587]  -> EHLO x');
  assert.equal(transcriptLine(587, { dir: 'recv', line: '250 ok', atMs: 1, tls: true }), '[587] <~  250 ok');
  assert.equal(transcriptLine(25, { dir: 'info', line: 'TLS started', atMs: 1, tls: true }), '[25] === TLS started');
});

test('HOST argument: name, name:port, [v6]:port, bare v6; junk is a usage error', async () => {
  const { parseTarget } = await import('../../src/commands/test/run.js');
  assert.deepEqual(parseTarget('omr.tzo.com'), { host: 'omr.tzo.com' });
  assert.deepEqual(parseTarget('omr.tzo.com:2525'), { host: 'omr.tzo.com', port: 2525 });
  assert.deepEqual(parseTarget('[::1]:587'), { host: '::1', port: 587 });
  assert.deepEqual(parseTarget('[::1]'), { host: '::1' });
  assert.deepEqual(parseTarget('::1'), { host: '::1' });
  assert.throws(() => parseTarget('bad host'), UsageError);
  assert.throws(() => parseTarget('h:99999'), UsageError);
});
