// Delivery to the one smarthost. A lane is one persistent upstream connection (our own lean SMTP
// client in ./upstream: pipelined envelope, streamed dot-stuffed body), reused for many
// messages, opened lazily on the next send after a close or error, closed after 30 s idle. The
// scheduler owns at most --max-connections lanes, so idle connections count toward the budget
// (unlike Postfix's connection cache).
import { Readable } from 'node:stream';
import type { UpstreamFailure } from './classify.js';
import type { RelayOptions } from './types.js';
import { toUpstreamError } from './upstream/errors.js';
import { openSession, type Session } from './upstream/session.js';
import type { BodyFile } from './upstream/file-body.js';
import { transact, TransactionError, type BodyForm } from './upstream/transaction.js';

export interface SendResult {
  accepted: string[];
  /** Per-recipient refusals (the message still went to the accepted ones). */
  rejected: Array<{ address: string; failure: UpstreamFailure }>;
  /** Whole-transaction failure; accepted is then empty. */
  error?: UpstreamFailure & { message: string };
  response?: string;
}

export const IDLE_TIMEOUT_MS = 30_000;

export class Lane {
  busy = false;
  lastUsed = Date.now();
  private session: Session | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Connections this lane opened (tests and logs: reuse means this stays small). */
  connections = 0;
  constructor(private readonly opts: RelayOptions, readonly id: number) {}

  /**
   * Sends one message. `body` is a stream (consumed and destroyed), a queued body file or the
   * whole body in memory; `form`: what is known of it (Envelope: size, crlf, dotLines). Never
   * throws: failures are in the result.
   */
  async send(from: string, to: string[], body: Readable | Buffer | BodyFile, form: BodyForm = {}): Promise<SendResult> {
    this.busy = true;
    clearTimeout(this.idleTimer);
    try {
      for (let attempt = 0; ; attempt++) {
        const reused = this.session !== undefined;
        try {
          this.session ??= await this.open();
          return await transact(this.session, { from, to, ...form, size: form.size ?? (Buffer.isBuffer(body) ? body.length : undefined) }, body);
        } catch (e) {
          const err = toUpstreamError(e);
          this.drop();
          // A kept connection the server closed meanwhile: one retry on a fresh one, but only
          // while no body byte was sent (so it can never deliver twice).
          const started = e instanceof TransactionError && e.bodyStarted;
          if (reused && attempt === 0 && !started && !this.closed && err.code === 'ECONNECTION' && !err.responseCode) continue;
          return { accepted: [], rejected: [], error: err.toFailure() };
        }
      }
    } finally {
      if (body instanceof Readable) body.destroy();
      this.busy = false;
      this.lastUsed = Date.now();
      // Died meanwhile (e.g. closed right after the last reply): forget it now.
      if (this.session && !this.session.conn.alive) this.drop();
      if (this.session && !this.closed) this.idleTimer = setTimeout(() => this.drop(true), IDLE_TIMEOUT_MS).unref();
    }
  }

  private async open(): Promise<Session> {
    const s = await openSession(this.opts);
    this.connections++;
    // Closed by the server while idle: forget it, the next send reconnects.
    s.conn.onGone = () => {
      if (this.session === s && !this.busy) this.session = undefined;
    };
    return s;
  }

  private drop(polite = false): void {
    const s = this.session;
    this.session = undefined;
    clearTimeout(this.idleTimer);
    if (!s) return;
    if (polite) s.conn.quit();
    else s.conn.destroy();
  }

  close(): void {
    this.closed = true;
    // QUIT only between transactions: mid-DATA it would be read as body text.
    this.drop(!this.busy);
  }
}

/** The lanes: never more than `limit` of them exist, busy or idle, so neither do connections. */
export class LanePool {
  private lanes: Lane[] = [];
  private seq = 0;
  constructor(private readonly opts: RelayOptions) {}

  get size(): number {
    return this.lanes.length;
  }

  busy(): number {
    return this.lanes.filter((l) => l.busy).length;
  }

  /** An idle lane, or a new one while fewer than `limit` exist. */
  acquire(limit: number): Lane | undefined {
    if (this.busy() >= limit) return undefined;
    const idle = this.lanes.find((l) => !l.busy);
    if (idle) return idle;
    if (this.lanes.length >= limit) return undefined;
    const lane = new Lane(this.opts, ++this.seq);
    this.lanes.push(lane);
    return lane;
  }

  /** Closes idle lanes beyond `limit` (all idle ones with limit 0). */
  trim(limit: number): void {
    for (const l of this.lanes.filter((x) => !x.busy)) {
      if (this.lanes.length <= limit) return;
      l.close();
      this.lanes = this.lanes.filter((x) => x !== l);
    }
  }

  closeAll(): void {
    for (const l of this.lanes) l.close();
    this.lanes = [];
  }
}
