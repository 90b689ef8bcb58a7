// The transaction state machine of the relay's upstream client on a scripted connection: which
// commands go out in which write, how replies map to accepted/rejected/error, when RSET comes,
// and which failures end the connection (throw) instead of the transaction (return).
import assert from 'node:assert/strict';
import test from 'node:test';
import { classify } from '../../src/relay/classify.js';
import type { SmtpReply } from '../../src/probe/reply.js';
import type { Connection } from '../../src/relay/upstream/connection.js';
import { netError } from '../../src/relay/upstream/errors.js';
import { parseEhlo, type Capabilities, type Session } from '../../src/relay/upstream/session.js';
import { transact, TransactionError } from '../../src/relay/upstream/transaction.js';

const reply = (line: string): SmtpReply => {
  const code = Number(line.slice(0, 3));
  return { code, lines: [line.slice(4)], text: line.slice(4), raw: [line] };
};

/** Replies come from `script` in order; `dieAfter` replies, the connection fails. */
class FakeConn {
  writes: string[] = [];
  failure: ReturnType<typeof netError> | undefined;
  constructor(private script: string[], private dieAfter = Infinity) {}
  write(d: string | Buffer): boolean {
    this.writes.push(d.toString());
    return true;
  }
  async read(n = 1): Promise<SmtpReply[]> {
    const avail = Math.min(n, this.dieAfter, this.script.length);
    const out = this.script.splice(0, avail).map(reply);
    this.dieAfter -= out.length;
    if (out.length < n) this.failure = netError('ECONNECTION', 'the smarthost closed the connection');
    if (out.length === 0) throw this.failure;
    return out;
  }
  async readOne(): Promise<SmtpReply> {
    return (await this.read(1))[0]!;
  }
  async drain(): Promise<void> {}
}

const caps = (over: Partial<Capabilities> = {}): Capabilities => ({ pipelining: true, size: 0, sizeAdvertised: false, starttls: false, smtputf8: false, auth: [], ...over });
const session = (conn: FakeConn, c = caps()): Session => ({ conn: conn as unknown as Connection, caps: c, needsReset: false, messages: 0 });

test('EHLO capabilities: PIPELINING, SIZE, AUTH (both spellings), STARTTLS, SMTPUTF8', () => {
  const r: SmtpReply = { code: 250, lines: ['mx hello', 'PIPELINING', 'SIZE 1000', 'AUTH LOGIN PLAIN', 'AUTH=XOAUTH2', 'starttls', 'SMTPUTF8', ''], text: '', raw: [] };
  assert.deepEqual(parseEhlo(r), { pipelining: true, size: 1000, sizeAdvertised: true, starttls: true, smtputf8: true, auth: ['LOGIN', 'PLAIN', 'XOAUTH2'] });
  assert.equal(parseEhlo({ ...r, lines: ['mx'] }).pipelining, false);
});

test('pipelined: one write for MAIL, RCPTs and DATA; body after 354; per-recipient results', async () => {
  const c = new FakeConn(['250 ok', '250 ok', '550 5.1.1 unknown', '452 4.2.2 full', '354 go', '250 2.0.0 queued as X']);
  const s = session(c, caps({ sizeAdvertised: true }));
  const r = await transact(s, { from: 'a@x', to: ['b@y', 'c@y', 'd@y'], size: 5 }, Buffer.from('.hi\r\n'));
  assert.deepEqual(c.writes, ['MAIL FROM:<a@x> SIZE=5\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nRCPT TO:<d@y>\r\nDATA\r\n', '..hi\r\n.\r\n']);
  assert.deepEqual(r.accepted, ['b@y']);
  assert.deepEqual(r.rejected.map((x) => [x.address, classify(x.failure).rule]), [['c@y', 'rcpt-5xx'], ['d@y', 'rcpt-4xx']]);
  assert.equal(r.response, '250 2.0.0 queued as X');
  assert.equal(s.needsReset, false);
});

test('every recipient refused: no body; a 354 anyway gets an empty message; RSET leads the next group', async () => {
  const c = new FakeConn(['250 ok', '550 no', '354 go', '250 empty ok', '250 reset', '250 ok', '250 ok', '354 go', '250 done']);
  const s = session(c);
  const r = await transact(s, { from: 'a@x', to: ['b@y'] }, Buffer.from('never sent\r\n'));
  assert.deepEqual(r.accepted, []);
  assert.equal(r.rejected.length, 1);
  assert.equal(c.writes[1], '.\r\n');
  assert.equal(s.needsReset, true);
  const r2 = await transact(s, { from: 'a@x', to: ['e@y'] }, Buffer.from('x\r\n'));
  assert.deepEqual(r2.accepted, ['e@y']);
  assert.ok(c.writes[2]!.startsWith('RSET\r\nMAIL FROM:<a@x>\r\n'));
  assert.ok(!c.writes.join('').includes('never sent'));
  assert.equal(s.needsReset, false);
});

test('MAIL refused: message-level error returned, connection kept (RSET next time)', async () => {
  const c = new FakeConn(['451 4.3.0 later', '503 no mail', '503 no rcpt']);
  const s = session(c);
  const r = await transact(s, { from: 'a@x', to: ['b@y'] }, Buffer.from('x\r\n'));
  assert.equal(r.error?.command, 'MAIL FROM');
  assert.equal(classify(r.error!).rule, 'message-4xx');
  assert.equal(s.needsReset, true);
});

test('a 421 anywhere throws (connection ends) and classifies as throttle, even if the server hangs up right after', async () => {
  const c = new FakeConn(['250 ok', '421 4.7.0 too many'], 2);
  await assert.rejects(transact(session(c), { from: 'a@x', to: ['b@y', 'c@y'] }, Buffer.from('x\r\n')), (e: TransactionError) => {
    assert.equal(e.responseCode, 421);
    assert.equal(e.command, 'RCPT TO');
    assert.equal(classify(e).outcome, 'throttle');
    assert.equal(e.bodyStarted, false);
    return true;
  });
});

test('connection lost mid-envelope throws a network error; lost after the body says bodyStarted', async () => {
  const c = new FakeConn(['250 ok'], 1);
  await assert.rejects(transact(session(c), { from: 'a@x', to: ['b@y'] }, Buffer.from('x\r\n')), (e: TransactionError) => e.code === 'ECONNECTION' && classify(e).outcome === 'defer' && !e.bodyStarted);
  const d = new FakeConn(['250 ok', '250 ok', '354 go'], 3);
  await assert.rejects(transact(session(d), { from: 'a@x', to: ['b@y'] }, Buffer.from('x\r\n')), (e: TransactionError) => e.code === 'ECONNECTION' && e.bodyStarted);
});

test('without PIPELINING: one command per write, stop at a refused MAIL, no DATA when no recipient', async () => {
  const c = new FakeConn(['250 ok', '550 no', '550 no']);
  const s = session(c, caps({ pipelining: false }));
  const r = await transact(s, { from: 'a@x', to: ['b@y', 'c@y'] }, Buffer.from('x\r\n'));
  assert.deepEqual(c.writes, ['MAIL FROM:<a@x>\r\n', 'RCPT TO:<b@y>\r\n', 'RCPT TO:<c@y>\r\n']);
  assert.equal(r.rejected.length, 2);
  const m = new FakeConn(['250 reset', '550 5.7.1 sender refused']);
  const r2 = await transact({ ...session(m, caps({ pipelining: false })), needsReset: true }, { from: 'a@x', to: ['b@y'] }, Buffer.from('x\r\n'));
  assert.deepEqual(m.writes, ['RSET\r\n', 'MAIL FROM:<a@x>\r\n']);
  assert.equal(classify(r2.error!).rule, 'message-5xx');
});

test('larger than the advertised SIZE: message-too-big without a word to the server', async () => {
  const c = new FakeConn([]);
  const r = await transact(session(c, caps({ size: 100, sizeAdvertised: true })), { from: 'a@x', to: ['b@y'], size: 101 }, Buffer.alloc(101));
  assert.equal(classify(r.error!).rule, 'message-too-big');
  assert.deepEqual(c.writes, []);
});
