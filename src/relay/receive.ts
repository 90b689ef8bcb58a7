// The receiving side: smtp-server hooks that apply the policy and limits and hand each message
// to the spool. A 250 after DATA is sent only once body and envelope are fsync'd and renamed
// into incoming/; any spool failure is a 4xx so the client keeps the message.
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../core/logger.js';
import { ClientPolicy, SessionCounter } from './policy.js';
import { storeMessage, SpoolWriteError, type StoredMessage } from './store.js';
import type { Spool } from './spool.js';
import type { RelayHooks, RelayOptions } from './types.js';
import { refusalReason, type RelayOps } from '../ops/index.js';
import { useFastDataScan } from './data-scan.js';

export interface ReceiverDeps {
  opts: RelayOptions;
  spool: Spool;
  logger: Logger;
  /** Called after a message is durably queued. */
  onQueued(msg: StoredMessage): void;
  /** Shared across listeners so sessions-per-client is one limit. */
  sessions?: SessionCounter;
  hooks?: RelayHooks;
  /** Client accounting, rate limits and dedupe (src/ops). */
  ops?: RelayOps;
  /** Shared, replaceable allowlist (SIGHUP reload). */
  policyRef?: { current: ClientPolicy };
}

interface SessionStats {
  counted: boolean;
  accepted: number;
  rejected: number;
  started: number;
}

function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

export function createReceiver(deps: ReceiverDeps): SMTPServer {
  useFastDataScan();
  const { opts, logger } = deps;
  const policyRef = deps.policyRef ?? { current: new ClientPolicy(opts.allow, opts.allowPublicClients) };
  const ops = deps.ops;
  const sessions = deps.sessions ?? new SessionCounter(opts.sessionsPerClient);
  const stats = new WeakMap<SMTPServerSession, SessionStats>();

  const server = new SMTPServer({
    name: opts.hostname,
    banner: 'omr-relay ready',
    size: opts.maxMessageSize,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    hideENHANCEDSTATUSCODES: true,
    // LAN reverse DNS is often slow or broken; the Received header carries the address anyway.
    disableReverseLookup: true,
    socketTimeout: opts.commandTimeoutMs,
    closeTimeout: 30_000,
    logger: false,
    onConnect(session, cb) {
      const st: SessionStats = { counted: false, accepted: 0, rejected: 0, started: Date.now() };
      stats.set(session, st);
      const d = policyRef.current.admit(session.remoteAddress);
      if (!d.ok) {
        logger.warn('client refused', { client: session.remoteAddress, reason: d.reason });
        ops?.refused(session.remoteAddress, 'not-allowed', `554 5.7.1 (${d.reason})`);
        return cb(smtpError(554, `5.7.1 ${session.remoteAddress} is not allowed to use this relay`));
      }
      const hooked = deps.hooks?.onConnect?.(session.remoteAddress);
      if (hooked) {
        logger.warn('client refused by policy hook', { client: session.remoteAddress, reply: `${hooked.code} ${hooked.text}` });
        return cb(smtpError(hooked.code, hooked.text));
      }
      if (!sessions.tryOpen(session.remoteAddress)) {
        logger.warn('client over session limit', { client: session.remoteAddress, limit: opts.sessionsPerClient });
        ops?.refused(session.remoteAddress, 'sessions', `421 4.7.0 too many sessions`);
        return cb(smtpError(421, `4.7.0 too many sessions from ${session.remoteAddress}, try again later`));
      }
      st.counted = true;
      ops?.onSession(session.remoteAddress);
      cb();
    },
    onClose(session) {
      const st = stats.get(session);
      if (!st?.counted) return;
      sessions.close(session.remoteAddress);
      logger.info('session', {
        client: session.remoteAddress,
        helo: session.hostNameAppearsAs,
        accepted: st.accepted,
        rejected: st.rejected,
        durationMs: Date.now() - st.started,
      });
    },
    onMailFrom(address: SMTPServerAddress, session, cb) {
      const declared = Number((address.args as Record<string, string> | false || {})['SIZE'] ?? 0);
      if (declared > opts.maxMessageSize) return cb(smtpError(552, `5.3.4 message size ${declared} exceeds the limit of ${opts.maxMessageSize} bytes`));
      const rate = ops?.onMail(session.remoteAddress, address.address);
      if (rate && !rate.ok) {
        logger.warn('client over its message rate', { client: session.remoteAddress, sender: address.address, limit: rate.limit });
        return cb(smtpError(rate.code, rate.text));
      }
      cb();
    },
    onRcptTo(address, session, cb) {
      if (session.envelope.rcptTo.length >= opts.maxRecipients)
        return cb(smtpError(452, `4.5.3 too many recipients (at most ${opts.maxRecipients} per message); send the rest in another message`));
      const rate = ops?.onRcpt(session.remoteAddress, session.envelope.mailFrom ? session.envelope.mailFrom.address : '', address.address);
      if (rate && !rate.ok) {
        logger.warn('client over its recipient rate', { client: session.remoteAddress, limit: rate.limit });
        return cb(smtpError(rate.code, rate.text));
      }
      cb();
    },
    onData(stream, session, cb) {
      handleData(deps, stream, session, stats.get(session)).then(
        (reply) => cb(null, reply),
        (err: Error & { responseCode?: number }) => cb(err),
      );
    },
  });
  server.on('error', (err) => logger.error('listener error', { error: err }));
  return server;
}

async function handleData(deps: ReceiverDeps, stream: SMTPServerDataStream, session: SMTPServerSession, st?: SessionStats): Promise<string> {
  const { opts, spool, logger, ops } = deps;
  const env = session.envelope;
  const tap = ops?.tap();
  const sender = env.mailFrom ? env.mailFrom.address : '';
  const recipients = env.rcptTo.map((r) => r.address);
  const base = { client: session.remoteAddress, helo: session.hostNameAppearsAs, sender, rcpts: recipients.length };
  let result;
  try {
    result = await storeMessage(spool, opts, stream, {
      sender,
      recipients,
      client: session.remoteAddress,
      helo: session.hostNameAppearsAs,
      esmtp: session.transmissionType !== 'SMTP',
      tap,
    }, deps.hooks);
  } catch (e) {
    if (st) st.rejected++;
    const err = e instanceof SpoolWriteError ? e : new SpoolWriteError(e);
    logger.error('spool write failed', { ...base, error: err.cause ?? err, reply: `${err.responseCode} ${err.message}` });
    ops?.refused(session.remoteAddress, 'spool', `${err.responseCode} ${err.message}`, { sender, rcpts: recipients });
    throw err;
  }
  if (!result.ok) {
    if (st) st.rejected++;
    logger.warn('message refused', { ...base, size: result.bytes, reason: result.reason, reply: `${result.code} ${result.text}` });
    ops?.refused(session.remoteAddress, refusalReason(result.reason), `${result.code} ${result.text}`, { sender, rcpts: recipients });
    throw smtpError(result.code, result.text);
  }
  if (st) st.accepted++;
  if (result.duplicate) {
    logger.info('duplicate acknowledged, not queued', { ...base, id: result.msg.record.id, size: result.msg.record.size });
    return `2.0.0 Ok: duplicate of a message already queued (not sent again)`;
  }
  const rec = result.msg.record;
  const first = tap && ops?.onStored({ id: rec.id, client: rec.client, sender, recipients, size: rec.size }, tap.finish());
  if (first) {
    // A resend of a message already queued: acknowledged, never delivered twice.
    const ref = result.msg.journal;
    if (ref) spool.journal?.markDone(rec.id, ref);
    else if (!(await spool.remove(rec.id, 'incoming'))) logger.warn('duplicate already picked up for delivery', { id: rec.id, first });
    return `2.0.0 Ok: already queued as ${first}; duplicate not sent again`;
  }
  logger.info('queued', { ...base, id: result.msg.record.id, size: result.msg.record.size });
  deps.onQueued(result.msg);
  deps.hooks?.onQueued?.(result.msg.record);
  return `2.0.0 Ok: queued as ${result.msg.record.id}`;
}
