// One test per row of the reply classification table (and a guard that no row is untested).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLASSIFICATION_TABLE, classify, replyText, type UpstreamFailure } from '../../src/relay/classify.js';

const CASES: Array<[string, UpstreamFailure, string, string]> = [
  ['auth-failed', { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN', response: '535 5.7.8 Authentication credentials invalid' }, 'pause', 'queue'],
  ['account-suspended', { code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM', response: '550 5.7.1 Account suspended for abuse' }, 'pause', 'queue'],
  ['421-busy', { code: 'EENVELOPE', responseCode: 421, command: 'RCPT TO', response: '421 4.7.0 Hourly quota exceeded' }, 'throttle', 'connection'],
  ['connect-level', { code: 'EPROTOCOL', responseCode: 554, command: 'CONN', response: '554 5.7.1 no service' }, 'defer', 'connection'],
  ['network', { code: 'ECONNECTION', command: 'CONN' }, 'defer', 'connection'],
  ['rcpt-5xx', { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' }, 'fail', 'recipient'],
  ['rcpt-4xx', { code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO', response: '450 4.2.0 mailbox busy' }, 'defer', 'recipient'],
  ['message-5xx', { code: 'EMESSAGE', responseCode: 554, command: 'DATA', response: '554 5.6.0 content rejected' }, 'fail', 'message'],
  ['message-too-big', { code: 'EMESSAGE', command: 'MAIL FROM' }, 'fail', 'message'],
  ['message-4xx', { code: 'EENVELOPE', responseCode: 451, command: 'MAIL FROM', response: '451 4.3.0 try later' }, 'defer', 'message'],
  ['unknown', { code: 'EWHATEVER' }, 'defer', 'message'],
];

for (const [rule, failure, outcome, scope] of CASES) {
  test(`classification row ${rule}`, () => {
    const c = classify(failure);
    assert.equal(c.rule, rule);
    assert.equal(c.outcome, outcome);
    assert.equal(c.scope, scope);
  });
}

test('every table row has a test case', () => {
  assert.deepEqual(CLASSIFICATION_TABLE.map((r) => r.rule).sort(), CASES.map((c) => c[0]).sort());
});

test('530 and 538 also pause; 421 at the greeting throttles, never fails', () => {
  assert.equal(classify({ responseCode: 530, command: 'MAIL FROM', response: '530 5.7.0 Authentication required' }).outcome, 'pause');
  assert.equal(classify({ responseCode: 538, command: 'AUTH LOGIN' }).outcome, 'pause');
  assert.equal(classify({ code: 'EPROTOCOL', responseCode: 421, command: 'CONN', response: '421 too many connections' }).outcome, 'throttle');
  // OMR counts sessions per account, so its "6th connection" 421 comes as the answer to AUTH.
  assert.equal(classify({ code: 'EAUTH', responseCode: 421, command: 'AUTH PLAIN', response: '421 4.7.0 too many connections for this account' }).outcome, 'throttle');
  for (const code of ['ETIMEDOUT', 'ETLS', 'EDNS', 'ESOCKET']) assert.equal(classify({ code }).outcome, 'defer', code);
});

test('replyText prefers the server reply and flattens it', () => {
  assert.equal(replyText({ response: '550-5.1.1 a\r\n550 5.1.1 b' }), '550-5.1.1 a 550 5.1.1 b');
  assert.equal(replyText({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }), 'ECONNECTION connect ECONNREFUSED');
});
