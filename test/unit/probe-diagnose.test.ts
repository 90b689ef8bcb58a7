import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, RULES } from '../../src/probe/diagnose.js';
import { parseEhlo } from '../../src/probe/ehlo.js';
import { ReplyParser } from '../../src/probe/reply.js';
import type { PortReport } from '../../src/probe/types.js';
import { verdictOf } from '../../src/probe/run-test.js';

const reply = (text: string) => new ReplyParser().push(text.replace(/\n/g, '\r\n') + '\r\n')[0]!;
const ehlo = (...caps: string[]) => parseEhlo(reply(['250-mx.test', ...caps.slice(0, -1).map((c) => `250-${c}`), `250 ${caps[caps.length - 1] ?? 'X'}`].join('\n')));

function port(p: number, extra: Partial<PortReport> = {}): PortReport {
  return { port: p, mode: p === 465 ? 'implicit' : 'starttls', phases: [], completed: true, connect: 'connected', ...extra };
}
const ids = (ps: PortReport[], authAsked = false) => diagnose({ ports: ps, authAsked }).map((c) => c.id);

test('every rule id is unique and prefixed once', () => {
  const names = RULES.map((r) => r.id);
  assert.equal(new Set(names).size, names.length);
  for (const n of ['port25-blocked', 'smtp-proxy', 'starttls-stripped', 'connection-limit', 'quota', 'slow-greeting', 'slow-data-ack', 'cert-expiring', 'plaintext-auth-only']) assert.ok(names.includes(n), n);
});

test('healthy ports: no diagnosis at all', () => {
  assert.deepEqual(ids([port(587, { capabilities: ehlo('STARTTLS') }), port(25, { capabilities: ehlo('STARTTLS') })]), []);
});

test('port 25 filtered while 587 works: warn with "use 587"', () => {
  const [d] = diagnose({ ports: [port(587), port(25, { completed: false, connect: 'filtered', failedPhase: 'tcp' })], authAsked: false });
  assert.equal(d!.id, 'diagnosis:port25-blocked');
  assert.equal(d!.status, 'warn');
  assert.match(d!.hint!, /blocks outgoing port 25; use port 587/);
});

test('all ports filtered: no-connection (fail), not port25-blocked', () => {
  const ps = [587, 25].map((p) => port(p, { completed: false, connect: 'filtered', failedPhase: 'tcp' }));
  assert.deepEqual(ids(ps), ['diagnosis:no-connection']);
  assert.equal(diagnose({ ports: ps, authAsked: false })[0]!.status, 'fail');
});

test('STARTTLS missing on 25 but present on 587: stripped', () => {
  const ps = [port(587, { capabilities: ehlo('STARTTLS') }), port(25, { completed: false, failedPhase: 'starttls', capabilities: ehlo('PIPELINING') })];
  assert.deepEqual(ids(ps), ['diagnosis:starttls-stripped']);
});

test('Cisco XXXXXXXA fixup is recognised even without a comparison port', () => {
  const caps = ehlo('XXXXXXXA', 'AUTH PLAIN');
  assert.deepEqual(caps.mangled, ['XXXXXXXA']);
  const ps = [port(587, { completed: false, failedPhase: 'starttls', capabilities: caps, refusedPlaintextAuth: true })];
  const d = diagnose({ ports: ps, authAsked: true });
  assert.deepEqual(d.map((c) => c.id), ['diagnosis:starttls-stripped', 'diagnosis:plaintext-auth-only']);
  assert.ok(d.every((c) => c.status === 'fail'), 'no port works, so these fail');
  assert.match(d[1]!.summary, /password was not sent/);
});

test('421 at AUTH with connection text -> connection-limit; quota text -> quota only', () => {
  const conn = port(587, { completed: false, failedPhase: 'auth', rejection: { phase: 'auth', reply: reply('421 4.7.0 Too many connections for this account') } });
  assert.deepEqual(ids([conn]), ['diagnosis:connection-limit']);
  const q = port(587, { completed: false, failedPhase: 'mail', rejection: { phase: 'mail', reply: reply('421 4.7.0 Monthly message quota exceeded') } });
  assert.deepEqual(ids([q]), ['diagnosis:quota']);
});

test('a 421 at MAIL without limit words is not called a connection limit', () => {
  const p = port(587, { completed: false, failedPhase: 'mail', rejection: { phase: 'mail', reply: reply('421 4.3.0 Temporary failure') } });
  assert.deepEqual(ids([p]), []);
});

test('slow greeting, slow data ack, and thresholds are configurable', () => {
  const p = port(587, { greetingMs: 12_000, dataAckMs: 25_000 });
  assert.deepEqual(ids([p]), ['diagnosis:slow-greeting', 'diagnosis:slow-data-ack']);
  assert.deepEqual(diagnose({ ports: [p], authAsked: false, thresholds: { slowGreetingMs: 20_000, slowDataAckMs: 30_000 } }), []);
});

test('certificate: expiring warns, expired fails', () => {
  const tls = (days: number) => ({ protocol: 'TLSv1.3', cipher: 'x', authorized: true, sanMatch: true, altNames: [], daysToExpiry: days, issuer: 'CA', chain: [{ subject: 's', issuer: 'CA', validFrom: '', validTo: '', fingerprint256: 'AA', selfSigned: false }] });
  assert.equal(diagnose({ ports: [port(587, { tls: tls(3) })], authAsked: false })[0]!.status, 'warn');
  assert.equal(diagnose({ ports: [port(587, { tls: tls(-1) })], authAsked: false })[0]!.status, 'fail');
  assert.deepEqual(ids([port(587, { tls: tls(90) })]), []);
});

test('smtp-proxy: AV product in the banner, certificate issuer, or different certificates per port', () => {
  assert.deepEqual(ids([port(587, { banner: reply('220 avast! SMTP proxy ready') })]), ['diagnosis:smtp-proxy']);
  const tls = (fp: string, issuer = 'Real CA') => ({ protocol: 'TLSv1.3', cipher: 'x', authorized: true, sanMatch: true, altNames: [], daysToExpiry: 90, issuer, chain: [{ subject: 's', issuer, validFrom: '', validTo: '', fingerprint256: fp, selfSigned: false }] });
  assert.deepEqual(ids([port(587, { tls: tls('AA', 'ESET SSL Filter CA') })]), ['diagnosis:smtp-proxy']);
  assert.deepEqual(ids([port(587, { tls: tls('AA') }), port(465, { tls: tls('BB') })]), ['diagnosis:smtp-proxy']);
  assert.deepEqual(ids([port(587, { banner: reply('220 mail.reset.example ESMTP') })]), [], 'no false positive on "reset"');
});

test('verdict: all ports complete -> pass; some -> warn; none -> fail; warnings make pass a warn', () => {
  const ok = port(587);
  const bad = port(25, { completed: false });
  assert.equal(verdictOf([ok], [], 1), 'pass');
  assert.equal(verdictOf([ok, bad], [], 2), 'warn');
  assert.equal(verdictOf([bad], [], 1), 'fail');
  assert.equal(verdictOf([], [], 1), 'fail');
  assert.equal(verdictOf([ok], [{ id: 'diagnosis:cert-expiring', status: 'warn', summary: '' }], 1), 'warn');
});
