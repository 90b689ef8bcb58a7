// The smtp-server hooks that make the server behave like OMR. Shared by the STARTTLS and the
// implicit-TLS listener, so limits and counters are global to the simulator.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Logger } from '../core/logger.js';
import type { Accounting } from './accounting.js';
import type { FaultBook } from './faults.js';
import { REPLIES, replyError, type Reply } from './replies.js';
import type { MessageStore } from './store.js';
import type { Account, DeferStage, ReplyStage, SimulatorEvent, SimulatorEventType } from './types.js';

export interface Core {
  accounts: Map<string, string>;
  acct: Accounting;
  faults: FaultBook;
  store: MessageStore;
  random: () => number;
  deferRate: number;
  deferAt: DeferStage;
  reject?: RegExp;
  authOptional: boolean;
  requireTls: boolean;
  clock: () => number;
  /** smtp-server's idle timeout, restored after a delayed greeting. */
  socketTimeoutMs: number;
  logger: Logger;
  onEvent?: (e: SimulatorEvent) => void;
  /** The live socket of a session (for dropping it mid-DATA). */
  socketOf(session: SMTPServerSession): Socket | undefined;
}

interface SessionState {
  /** Set by onClose; delayed handlers check it so a gone session cannot take a slot. */
  closed?: boolean;
  counted: boolean;
  user?: string;
  loggedIn: boolean;
  reserved: boolean;
}

type Cb = (err?: Error | null) => void;

export function accountMap(accounts: Account[]): Map<string, string> {
  return new Map(accounts.map((a) => [a.user, a.password]));
}

export function createHandlers(core: Core) {
  const states = new Map<string, SessionState>();
  const state = (s: SMTPServerSession): SessionState => {
    let st = states.get(s.id);
    if (!st) states.set(s.id, (st = { counted: false, loggedIn: false, reserved: false }));
    return st;
  };

  const emit = (type: SimulatorEventType, s: SMTPServerSession, extra: Partial<SimulatorEvent> = {}): void => {
    const ev: SimulatorEvent = { time: new Date(core.clock()).toISOString(), type, session: s.id, remote: s.remoteAddress, user: states.get(s.id)?.user, ...extra };
    // quiet by default: an embedding program (relay --demo) logs refusals, not every command
    const level = type === 'rejected' || type === 'fault' ? 'info' : 'debug';
    core.logger[level](`simulator.${type}`, { ...ev, time: undefined });
    try {
      core.onEvent?.(ev);
    } catch (e) {
      core.logger.error('simulator.event-handler-failed', { error: e as Error });
    }
  };

  /** Count a refusal, report it and hand smtp-server the reply. */
  const refuse = (s: SMTPServerSession, r: Reply, cb: Cb, suffix = ''): void => {
    core.acct.reject(r.reason);
    if (r.reason.startsWith('fault:')) core.acct.fault(r.reason.slice(6));
    emit('rejected', s, { code: r.code, reply: `${r.code} ${r.text}${suffix}`, reason: r.reason });
    cb(replyError(r, suffix));
  };

  /**
   * Apply a delayReply fault for this stage, if one is armed. A delayed DATA reply still accepts
   * the message when the client has gone meanwhile: the "accepted, but the client timed out and
   * sends it again" case from TZO's note. Other stages are dropped for a gone session.
   */
  const later = (stage: ReplyStage, s: SMTPServerSession, fn: () => void): void => {
    const f = core.faults.take('delayReply', stage);
    if (!f || f.kind !== 'delayReply') return fn();
    const st = state(s);
    core.acct.fault('delayReply');
    emit('fault', s, { reason: 'fault:delayReply', detail: { stage, ms: f.ms } });
    // smtp-server's idle timeout would answer a slow greeting with its own 421 (it waits for
    // pending command handlers, not for onConnect): stretch it for the delay, without a new listener
    const sock = stage === 'greeting' ? core.socketOf(s) : undefined;
    sock?.setTimeout(f.ms + core.socketTimeoutMs);
    // unref: a pending delayed reply must not keep a stopped simulator's process alive
    setTimeout(() => {
      sock?.setTimeout(core.socketTimeoutMs);
      if (!st.closed || stage === 'data') fn();
    }, f.ms).unref();
  };

  const deferred = (stage: DeferStage): boolean => core.deferAt === stage && core.deferRate > 0 && core.random() < core.deferRate;

  const releaseReservation = (st: SessionState): void => {
    if (st.reserved && st.user) core.acct.release(st.user);
    st.reserved = false;
  };

  function onConnect(s: SMTPServerSession, cb: Cb): void {
    const st = state(s);
    if (!core.acct.connect()) return refuse(s, REPLIES.totalConnections, cb);
    st.counted = true;
    emit('connect', s, { detail: { local: `${s.localAddress}:${s.localPort}`, remotePort: s.remotePort } });
    if (core.faults.take('greeting421')) return refuse(s, REPLIES.greeting421, cb);
    if (deferred('connect')) return refuse(s, REPLIES.defer, cb);
    if (core.faults.take('stripStarttls')) {
      (s as SMTPServerSession & { disabledCommands?: string[] }).disabledCommands = ['STARTTLS'];
      core.acct.fault('stripStarttls');
      emit('fault', s, { reason: 'fault:stripStarttls' });
    }
    later('greeting', s, () => cb());
  }

  function onSecure(socket: Socket, s: SMTPServerSession, cb: Cb): void {
    const tls = socket as TLSSocket;
    // smtp-server forgets a plaintext AUTH at STARTTLS (RFC 3207); so must the account count
    const st = state(s);
    if (st.loggedIn && st.user) core.acct.logout(st.user);
    releaseReservation(st);
    st.loggedIn = false;
    st.user = undefined;
    emit('tls', s, { detail: { protocol: tls.getProtocol?.(), cipher: tls.getCipher?.()?.name, servername: (s as { servername?: string }).servername } });
    cb();
  }

  function onAuth(auth: SMTPServerAuthentication, s: SMTPServerSession, cb: (err: Error | null | undefined, res?: { user: string }) => void): void {
    const st = state(s);
    later('auth', s, () => {
      // smtp-server answers 538 itself while STARTTLS is on offer; this covers a stripped STARTTLS
      if (core.requireTls && !s.secure) return refuse(s, REPLIES.tlsRequired, cb);
      if (core.faults.take('authFail')) return refuse(s, REPLIES.authFault, cb);
      const user = auth.username ?? '';
      const expected = core.accounts.get(user);
      if (expected === undefined || expected !== auth.password) return refuse(s, REPLIES.authFailed, cb);
      if (!core.acct.login(user)) return refuse(s, REPLIES.accountConnections, cb);
      st.user = user;
      st.loggedIn = true;
      emit('auth', s, { user, code: 235, detail: { method: auth.method } });
      cb(null, { user });
    });
  }

  function onMailFrom(addr: SMTPServerAddress, s: SMTPServerSession, cb: Cb): void {
    const st = state(s);
    later('mail', s, () => {
      if (!st.loggedIn && !core.authOptional) return refuse(s, REPLIES.authRequired, cb);
      if (core.faults.take('mail421')) return refuse(s, REPLIES.mail421, cb);
      if (deferred('mail')) return refuse(s, REPLIES.defer, cb);
      releaseReservation(st);
      const account = st.user ?? '';
      const q = core.acct.reserve(account);
      if (!q.ok) return refuse(s, q.which === 'hour' ? REPLIES.quotaHour : REPLIES.quotaMonth, cb, ` (limit ${q.limit})`);
      st.reserved = true;
      emit('mail', s, { detail: { from: addr.address } });
      cb();
    });
  }

  function onRcptTo(addr: SMTPServerAddress, s: SMTPServerSession, cb: Cb): void {
    later('rcpt', s, () => {
      if (core.faults.take('rcpt4xx')) return refuse(s, REPLIES.rcpt4xx, cb);
      if (core.reject?.test(addr.address)) return refuse(s, REPLIES.recipient, cb, ` <${addr.address}>`);
      emit('rcpt', s, { detail: { to: addr.address } });
      cb();
    });
  }

  function onData(stream: SMTPServerDataStream, s: SMTPServerSession, cb: (err?: Error | null, msg?: string) => void): void {
    const st = state(s);
    const chunks: Buffer[] = [];
    let dropping = false;
    const drop = core.faults.take('dropMidData');
    stream.on('data', (chunk: Buffer) => {
      if (drop && !dropping) {
        dropping = true;
        core.acct.fault('dropMidData');
        core.acct.reject('fault:dropMidData');
        emit('fault', s, { reason: 'fault:dropMidData', detail: { afterBytes: chunk.length } });
        releaseReservation(st);
        core.socketOf(s)?.destroy();
        return;
      }
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    stream.on('error', () => releaseReservation(st));
    stream.on('end', () => {
      if (dropping) return cb(new Error('connection dropped (fault injection)'));
      later('data', s, () => void finishData(s, st, stream, Buffer.concat(chunks), cb));
    });
  }

  async function finishData(s: SMTPServerSession, st: SessionState, stream: SMTPServerDataStream, raw: Buffer, cb: (err?: Error | null, msg?: string) => void): Promise<void> {
    const fail = (r: Reply, suffix = ''): void => {
      releaseReservation(st);
      refuse(s, r, cb, suffix);
    };
    if (stream.sizeExceeded) return fail(REPLIES.size, ` (${stream.byteLength} bytes)`);
    if (core.faults.take('data421')) return fail(REPLIES.data421);
    if (core.faults.take('data5xx')) return fail(REPLIES.data5xx);
    const now = core.clock();
    const tls = s.secure && s.tlsOptions ? { protocol: String(s.tlsOptions.version ?? ''), cipher: String(s.tlsOptions.name ?? '') } : null;
    const env = s.envelope;
    const msg = {
      id: core.store.nextId(now),
      envelope: { mailFrom: env.mailFrom ? env.mailFrom.address : '', rcptTo: env.rcptTo.map((r) => r.address) },
      user: st.user ?? '',
      tls,
      size: raw.length,
      receivedAt: new Date(now).toISOString(),
      remoteAddress: s.remoteAddress,
    };
    try {
      await core.store.persist(msg, raw);
    } catch (e) {
      core.logger.error('simulator.store-failed', { error: e as Error });
      releaseReservation(st);
      core.acct.reject('store-failed');
      return cb(replyError({ code: 451, text: '4.3.0 Local storage error', reason: 'store-failed' }));
    }
    core.acct.commit(msg.user, raw.length, st.reserved);
    st.reserved = false;
    core.store.record(msg, raw);
    emit('accepted', s, { user: msg.user, code: 250, reply: `250 2.0.0 Ok: queued as ${msg.id}`, detail: { id: msg.id, size: raw.length, from: msg.envelope.mailFrom, to: msg.envelope.rcptTo } });
    cb(null, `2.0.0 Ok: queued as ${msg.id}`);
  }

  function onClose(s: SMTPServerSession): void {
    const st = states.get(s.id);
    if (!st) return;
    st.closed = true;
    releaseReservation(st);
    if (st.loggedIn && st.user) core.acct.logout(st.user);
    if (st.counted) core.acct.disconnect();
    emit('close', s);
    states.delete(s.id);
  }

  return { onConnect, onSecure, onAuth, onMailFrom, onRcptTo, onData, onClose };
}
