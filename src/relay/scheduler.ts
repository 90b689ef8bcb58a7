// The queue manager (Postfix's qmgr): keeps only a bounded active set in memory, hands messages
// to at most `window.current` lanes (<= --max-connections upstream sessions, idle ones included),
// and files each result: done, deferred with backoff, DSN, or a paused queue.
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../core/logger.js';
import { ConcurrencyWindow, retryDelay } from './backoff.js';
import { DeferredIndex } from './deferred-index.js';
import { queueBounce } from './bounce.js';
import { takeControl, writeStatusFile, type ControlRequest } from './control.js';
import { LanePool, type Lane } from './deliver.js';
import { applyResult, isOpen, type Applied } from './outcome.js';
import { recoverSpool } from './recover.js';
import type { Spool } from './spool.js';
import type { QueueRecord, QueueState, RelayHooks, RelayOptions } from './types.js';
import { WarmCache, type WarmEntry } from './warm.js';
import { BodyFile } from './upstream/file-body.js';
import { Journal } from './journal/journal.js';
import type { JournalRef } from './journal/scan.js';
import { JournaledIndex } from './journal/journaled-index.js';
import { spoolFromJournal, spooledIds } from './journal/spool-move.js';
import { deliveryOutcome, type RelayOps } from '../ops/index.js';

/** Classification rules that say the smarthost is unreachable rather than anything about a message. */
const UNREACHABLE_RULES = new Set(['network', 'connect-level']);

export interface UpstreamStatus {
  state: 'ok' | 'backing-off' | 'paused';
  reason?: string;
  until?: string;
  concurrency: number;
  lanes: number;
  inFlight: number;
}

export class Scheduler {
  private readonly incoming = new Set<string>();
  /** Fresh messages waiting in the journal (not in incoming/), oldest first (compact: no object per message). */
  private readonly journaled = new JournaledIndex();
  /** Journal location of messages in the active set that came from the journal. */
  private readonly refs = new Map<string, JournalRef>();
  private takeJournalFirst = true;
  /** The earliest-due deferred messages (bounded; the rest are found by scanning deferred/). */
  private readonly deferred: DeferredIndex;
  private readonly ready: QueueRecord[] = [];
  /** Fresh messages from the receiver (bounded), and the small bodies of ready ones. */
  private readonly warm = new WarmCache();
  private readonly readyBodies = new Map<string, Buffer>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly pendingOps = new Map<string, 'hold' | 'delete'>();
  private readonly lanes: LanePool;
  readonly window: ConcurrencyWindow;
  private pausedUntil = 0;
  private pauseReason?: string;
  private notBefore = 0;
  private throttleReason?: string;
  /** Consecutive probes that found the smarthost unreachable (reset by a delivery). */
  private unreachable = 0;
  private timer?: NodeJS.Timeout;
  private watcher?: FSWatcher;
  private stopping = false;
  private pumping = false;
  private pumpAgain = false;
  private kicked = false;
  private ticks = 0;

  constructor(private readonly opts: RelayOptions, private readonly spool: Spool, private readonly logger: Logger, private readonly hooks: RelayHooks = {}, private readonly ops?: RelayOps) {
    this.window = new ConcurrencyWindow(opts.maxConnections);
    this.lanes = new LanePool(opts);
    this.deferred = new DeferredIndex(spool.dir('deferred'), opts.deferredInMemory);
  }

  async start(): Promise<void> {
    await recoverSpool(this.spool, this.logger);
    const present = await spooledIds(this.spool);
    const { journal, live } = await Journal.open(this.spool.dir('journal'), {
      syncDir: (d) => this.spool.syncer.sync(d),
      alreadySpooled: (id) => present.has(id),
    });
    this.spool.journal = journal;
    for (const m of live) this.journaled.set(m.record.id, m);
    if (live.length) this.logger.info('journal: messages acknowledged before the last stop are queued again', { messages: live.length });
    await this.rescan();
    try {
      this.watcher = watch(this.spool.dir('control'), () => void this.handleControl());
      this.watcher.on('error', () => undefined);
    } catch {
      /* polling below still works */
    }
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref?.();
    this.kick();
  }

  /** A freshly committed message from the receiver (with its record and small body, if known). */
  enqueue(id: string, fresh?: WarmEntry & { journal?: JournalRef }): void {
    if (this.stopping) return;
    if (fresh?.journal) this.journaled.set(id, fresh.journal);
    else this.incoming.add(id);
    if (fresh) this.warm.add(fresh);
    this.kick();
  }

  status(): UpstreamStatus {
    const now = Date.now();
    const base = { concurrency: this.window.current, lanes: this.lanes.size, inFlight: this.inFlight.size };
    if (this.pausedUntil > now) return { state: 'paused', reason: this.pauseReason, until: new Date(this.pausedUntil).toISOString(), ...base };
    if (this.notBefore > now || this.window.current < this.window.max) return { state: 'backing-off', reason: this.throttleReason, until: this.notBefore > now ? new Date(this.notBefore).toISOString() : undefined, ...base };
    return { state: 'ok', ...base };
  }

  /** Journal messages waiting for their first attempt (they count as incoming). */
  journalStatus(): { count: number; active: number; oldestId?: string } {
    let oldestId: string | undefined;
    for (const id of this.journaled.keys()) {
      oldestId = id;
      break;
    }
    return { count: this.journaled.size, active: this.refs.size, oldestId };
  }

  /** The deferred index: records in deferred/, how many of them are in memory, whether all are. */
  deferredStatus(): { count: number; inMemory: number; complete: boolean } {
    return { count: this.deferred.count, inMemory: this.deferred.inMemory, complete: this.deferred.complete };
  }

  counts(): Record<'incoming' | 'deferred' | 'active', number> {
    return { incoming: this.incoming.size + this.journaled.size, deferred: this.deferred.count, active: this.ready.length + this.inFlight.size };
  }

  /** spool/status.json: what `omr relay status` shows about a running relay (best effort). */
  writeStatus(): Promise<void> {
    return writeStatusFile(this.spool.root, { pid: process.pid, updatedAt: new Date().toISOString(), upstream: this.status(), waiting: this.counts() });
  }

  /** Stops picking new work, waits (bounded) for in-flight deliveries, leaves the spool consistent. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.watcher?.close();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), new Promise((r) => (t = setTimeout(r, graceMs)))]);
    clearTimeout(t);
    // Journaled messages simply stay in the journal; the next start queues them again.
    for (const rec of this.ready.splice(0)) if (!this.refs.has(rec.id)) await this.spool.move(rec.id, 'active', 'incoming').catch(() => undefined);
    this.lanes.closeAll();
    await this.spool.journal?.close();
  }

  kick(): void {
    if (this.kicked || this.stopping) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.pump();
    });
  }

  private tick(): void {
    if (++this.ticks % 2 === 0) void this.handleControl();
    if (this.ticks % 5 === 0) void this.writeStatus();
    // Like Postfix's queue_run_delay: a full look at deferred/ every minute while it fits in
    // memory, every 5 minutes when it does not (due work is found sooner by refills).
    if (this.ticks % 60 === 0) void this.rescan(this.deferred.complete || this.ticks % 300 === 0).then(() => this.kick(), (e) => this.logger.error('rescan failed', { error: e }));
    this.kick();
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.fill();
        this.dispatch();
      } while (this.pumpAgain && !this.stopping);
    } catch (e) {
      this.logger.error('scheduler error', { error: e });
    } finally {
      this.pumping = false;
    }
  }

  private isPaused(now: number): boolean {
    if (this.pausedUntil === 0) return false;
    if (this.pausedUntil > now) return true;
    // Pause over: probe with a single connection; another AUTH failure pauses again.
    this.pausedUntil = 0;
    this.window.current = 1;
    this.logger.warn('queue resumed after pause, probing with one connection', { reason: this.pauseReason });
    return false;
  }

  private pickNext(now: number): [string, QueueState | 'journal'] | undefined {
    // Alternate between journal and incoming/ so neither starves the other under a burst.
    this.takeJournalFirst = !this.takeJournalFirst;
    if (this.takeJournalFirst) for (const id of this.journaled.keys()) return [id, 'journal'];
    for (const id of this.incoming) return [id, 'incoming'];
    for (const id of this.journaled.keys()) return [id, 'journal'];
    // Running low with due work on disk: scan for more while the rest in memory goes out.
    if (this.deferred.wantsRefill(now))
      void this.deferred.refill((i) => this.owns(i)).then(() => this.kick(), (e) => this.logger.error('deferred scan failed', { error: e }));
    const id = this.deferred.takeDue(now);
    return id === undefined ? undefined : [id, 'deferred'];
  }

  /** Loads due messages into the bounded active set (claiming each by rename into active/). */
  private async fill(): Promise<void> {
    const now = Date.now();
    // While the quota holds sending back, or the smarthost is unreachable, new mail stays queued.
    if (this.isPaused(now) || (this.ops && !this.ops.sendingAllowed()) || (this.unreachable > 0 && now < this.notBefore)) return;
    while (!this.stopping && this.ready.length + this.inFlight.size < this.opts.maxActive) {
      const next = this.pickNext(now);
      if (!next) return;
      const [id, state] = next;
      if (state === 'journal') {
        await this.loadJournaled(id);
        continue;
      }
      if (state === 'incoming') this.incoming.delete(id);
      if (!(await this.spool.move(id, state, 'active'))) {
        this.warm.drop(id);
        continue;
      }
      // Just received: record and small body are still in memory, no need to read them back.
      const w = this.warm.take(id);
      if (w) {
        this.ready.push(w.record);
        if (w.body) this.readyBodies.set(id, w.body);
        continue;
      }
      try {
        this.ready.push(await this.spool.readRecord('active', id));
      } catch (e) {
        this.logger.error('corrupt queue file moved aside', { id, error: e });
        await this.spool.quarantine(id, 'active').catch(() => undefined);
      }
    }
  }

  /** A journaled message into the active set: from memory if just received, else one read. */
  private async loadJournaled(id: string): Promise<void> {
    const ref = this.journaled.get(id)!;
    this.journaled.delete(id);
    this.refs.set(id, ref);
    const w = this.warm.take(id);
    try {
      const entry = w?.body ? { record: w.record, body: w.body } : await this.spool.journal!.read(ref);
      this.ready.push(entry.record);
      this.readyBodies.set(id, entry.body);
    } catch (e) {
      // Left in the journal: the next start tries it again.
      this.refs.delete(id);
      this.logger.error('journal entry unreadable, left for the next start', { id, error: e });
    }
  }

  /** The message left the journal (delivered, deleted, or now in spool files). */
  private journalDone(id: string): void {
    const ref = this.refs.get(id);
    this.refs.delete(id);
    if (ref) this.spool.journal?.markDone(id, ref);
  }

  private dispatch(): void {
    const now = Date.now();
    this.lanes.trim(this.window.current);
    if (this.stopping || this.isPaused(now) || now < this.notBefore) return;
    const gate = this.ready.length ? this.hooks.sendGate?.() : undefined;
    if (gate && gate.waitMs > 0) {
      this.notBefore = now + gate.waitMs;
      this.throttleReason = gate.reason;
      this.logger.info('sending held back', { reason: gate.reason, untilMs: gate.waitMs });
      return;
    }
    while (this.ready.length) {
      const lane = this.lanes.acquire(this.window.current);
      if (!lane) return;
      const gate = this.ops?.beforeDelivery();
      if (gate && !gate.ok) return;
      const rec = this.ready.shift()!;
      lane.busy = true;
      const p = this.deliver(lane, rec)
        .catch((e) => this.logger.error('delivery bookkeeping failed', { id: rec.id, error: e }))
        .finally(() => {
          this.inFlight.delete(rec.id);
          this.kick();
        });
      this.inFlight.set(rec.id, p);
    }
  }

  private async deliver(lane: Lane, rec: QueueRecord): Promise<void> {
    const open = rec.recipients.filter(isOpen);
    const mem = this.readyBodies.get(rec.id);
    this.readyBodies.delete(rec.id);
    if (open.length === 0) {
      this.ops?.cancelDelivery();
      lane.busy = false;
      if (this.refs.has(rec.id)) this.journalDone(rec.id);
      else await this.spool.remove(rec.id, 'active');
      return;
    }
    if (!mem && !(await this.spool.hasBody(rec.id))) {
      lane.busy = false;
      this.logger.error('queue file without a body moved to corrupt', { id: rec.id });
      return this.spool.quarantine(rec.id, 'active');
    }
    const started = Date.now();
    const res = await lane.send(rec.sender, open.map((r) => r.address), mem ?? new BodyFile(this.spool.bodyPath(rec.id), rec.size), { size: rec.size, crlf: rec.crlf, dotLines: rec.dotLines });
    const applied = applyResult(rec, res, this.opts);
    this.ops?.afterDelivery({ id: rec.id, client: rec.client, recipients: open.length, outcome: deliveryOutcome(applied.step, applied.rule), reply: applied.reply, accepted: res.accepted.length });
    const fields = {
      id: rec.id, client: rec.client || undefined, sender: rec.sender || '<>', rcpts: open.length, size: rec.size,
      attempt: applied.record.attempts, outcome: applied.step, rule: applied.rule, reply: applied.reply, lane: lane.id,
      durationMs: Date.now() - started,
    };
    if (applied.step === 'done' && applied.rule === 'delivered') this.logger.info('delivery', fields);
    else this.logger.warn('delivery', fields);
    this.hooks.onAttempt?.(applied.record, { step: applied.step, rule: applied.rule, reply: applied.reply, accepted: res.accepted.length });
    await this.settle(rec, applied, res.accepted.length > 0, mem);
  }

  private async settle(orig: QueueRecord, a: Applied, anyAccepted: boolean, body?: Buffer): Promise<void> {
    const now = Date.now();
    let rec = a.record;
    if (anyAccepted) {
      this.window.onSuccess();
      this.unreachable = 0;
    }
    if (a.step === 'defer' && UNREACHABLE_RULES.has(a.rule)) this.backOffUnreachable(a.reply, now);
    if (a.step === 'pause') {
      this.pause(a.reply, now);
      rec = { ...orig, lastReply: a.reply, nextAttemptAt: new Date(this.pausedUntil).toISOString() };
    } else if (a.step === 'throttle') {
      this.window.onThrottle();
      this.throttleReason = a.reply;
      // Short global cooldown (jittered) so lanes do not hammer a busy smarthost in lockstep.
      this.notBefore = now + retryDelay(1, { baseMs: Math.min(this.opts.retryBaseMs, 5000), maxMs: 5000, jitter: 0.5 });
      this.logger.warn('upstream busy: lowering concurrency and backing off', { reply: a.reply, concurrency: this.window.current });
    }
    if (a.dsnDue.length) rec = await this.notify(rec, a.dsnDue, body);
    const op = this.pendingOps.get(rec.id);
    this.pendingOps.delete(rec.id);
    if (this.refs.has(rec.id)) return this.settleJournaled(rec, op === 'delete' || a.step === 'done' ? undefined : op === 'hold' ? 'hold' : 'deferred', body!);
    if (op === 'delete' || a.step === 'done') {
      // Delivered: no directory fsync (a power cut can at worst cause one duplicate, as with
      // Postfix, which does not fsync after removing a queue file); deleted: durable.
      await this.spool.remove(rec.id, 'active', op === 'delete');
      return;
    }
    const target = op === 'hold' ? 'hold' : 'deferred';
    await this.spool.writeRecord(target, rec);
    await this.spool.unlinkRecord('active', rec.id);
    if (target === 'deferred' && !this.stopping) this.deferred.add(rec.id, Date.parse(rec.nextAttemptAt));
  }

  /** Done or deleted: a done entry. Otherwise into spool files first, then the done entry. */
  private async settleJournaled(rec: QueueRecord, target: 'hold' | 'deferred' | undefined, body: Buffer): Promise<void> {
    if (target) await spoolFromJournal(this.spool, rec, body, target);
    this.journalDone(rec.id);
    if (target === 'deferred' && !this.stopping) this.deferred.add(rec.id, Date.parse(rec.nextAttemptAt));
  }

  /**
   * The smarthost could not be reached (connect refused or timed out, TLS failure, a refusing
   * greeting): not about this message, and every other one would fail the same way. Like
   * Postfix's dead destination, all sending waits, longer after each failed probe (the first
   * wait is short: one dropped connection costs little), then resumes with one connection.
   * Without this, 100,000 queued messages were retried back to back at a core's worth of CPU.
   */
  private backOffUnreachable(reply: string, now: number): void {
    if (now < this.notBefore) return; // lanes that failed together count once
    const delay = retryDelay(++this.unreachable, { baseMs: Math.min(this.opts.retryBaseMs, 5000), maxMs: Math.min(this.opts.retryMaxMs, 300_000), jitter: 0.2 });
    this.notBefore = now + delay;
    this.window.current = 1;
    this.throttleReason = `smarthost unreachable: ${reply}`;
    this.logger.warn('smarthost unreachable: holding deliveries back', { reply, retryInMs: delay, failures: this.unreachable });
    void this.requeueReady().catch((e) => this.logger.error('scheduler error', { error: e }));
  }

  /** Gives messages picked for sending back to the queue while sending waits (not "active"). */
  private async requeueReady(): Promise<void> {
    for (const rec of this.ready.splice(0)) {
      this.readyBodies.delete(rec.id);
      const ref = this.refs.get(rec.id);
      if (ref) {
        this.refs.delete(rec.id);
        this.journaled.set(rec.id, ref);
      } else if (await this.spool.move(rec.id, 'active', 'incoming')) this.incoming.add(rec.id);
    }
  }

  private pause(reason: string, now: number): void {
    const first = this.pausedUntil <= now;
    this.pausedUntil = now + this.opts.authPauseMs;
    this.pauseReason = reason;
    this.lanes.trim(0);
    void this.parkReady(this.pausedUntil).catch((e) => this.logger.error('parking the active set failed', { error: e }));
    if (first)
      this.logger.error('QUEUE PAUSED: the smarthost refused our account; no mail is bounced, fix the credentials then run `omr queue flush`', {
        reply: reason,
        until: new Date(this.pausedUntil).toISOString(),
      });
  }

  /** While paused, loaded-but-unsent messages go back to deferred/ (due when the pause ends). */
  private async parkReady(due: number): Promise<void> {
    for (const rec of this.ready.splice(0)) {
      if (this.refs.has(rec.id)) {
        const body = this.readyBodies.get(rec.id)!;
        this.readyBodies.delete(rec.id);
        await this.settleJournaled({ ...rec, nextAttemptAt: new Date(due).toISOString() }, 'deferred', body);
        continue;
      }
      if (await this.spool.move(rec.id, 'active', 'deferred')) {
        await this.spool.setDue('deferred', rec.id, due).catch(() => undefined);
        this.deferred.add(rec.id, due);
      }
    }
  }

  private async notify(rec: QueueRecord, failed: Array<{ address: string; reply: string }>, body?: Buffer): Promise<QueueRecord> {
    const { record, dsnId } = await queueBounce(this.spool, this.opts.hostname, this.logger, rec, failed, body);
    if (dsnId) this.enqueue(dsnId);
    return record;
  }

  /**
   * Whether a record seen in deferred/ belongs to the active set: a delivery settles by writing
   * deferred/ID before it unlinks active/ID and leaves inFlight. (Loaded messages are in
   * active/ or the journal, never in deferred/.)
   */
  private owns(id: string): boolean {
    return this.inFlight.has(id);
  }

  /**
   * Rebuilds the waiting index from disk (after `omr queue` moved things, and periodically):
   * all of incoming/, and with `deferredToo` the earliest-due part of deferred/.
   */
  private async rescan(deferredToo = true): Promise<void> {
    const entries = await this.spool.scan(['incoming']);
    const active = new Set([...this.inFlight.keys(), ...this.ready.map((r) => r.id)]);
    this.incoming.clear();
    for (const e of entries) if (!active.has(e.id)) this.incoming.add(e.id);
    this.warm.retain((id) => this.incoming.has(id) || this.journaled.has(id));
    if (deferredToo) await this.deferred.scan((id) => this.owns(id));
  }

  private controlBusy = false;
  private async handleControl(): Promise<void> {
    if (this.controlBusy || this.stopping) return;
    this.controlBusy = true;
    try {
      const reqs = await takeControl(this.spool.root);
      // One look at the disk per batch (`omr queue hold` sends hold + rescan): a scan of a large
      // deferred/ costs a stat per record.
      if (reqs.length) await this.rescan();
      for (const req of reqs) await this.apply(req);
    } catch (e) {
      this.logger.error('control request failed', { error: e });
    } finally {
      this.controlBusy = false;
    }
  }

  private async apply(req: ControlRequest): Promise<void> {
    if (req.op === 'flush') {
      this.deferred.flush(req.ids);
      if (this.pausedUntil || this.notBefore) this.logger.warn('flush: pause and backoff cleared by operator');
      this.pausedUntil = 0;
      this.notBefore = 0;
      this.ops?.onFlush();
      this.window.current = this.window.max;
      this.logger.info('flush requested', { messages: req.ids?.length ?? this.deferred.count });
    } else if (req.op === 'hold' || req.op === 'delete') {
      for (const id of req.ids ?? []) await this.applyToActive(id, req.op);
    }
    this.kick();
  }

  /** hold/delete for a message the relay currently owns: now if waiting, after the attempt if in flight. */
  private async applyToActive(id: string, op: 'hold' | 'delete'): Promise<void> {
    if (this.inFlight.has(id)) {
      this.pendingOps.set(id, op);
      return;
    }
    const ref = this.journaled.get(id);
    if (ref) {
      this.journaled.delete(id);
      this.warm.drop(id);
      this.refs.set(id, ref);
      if (op === 'delete') return this.journalDone(id);
      const entry = await this.spool.journal!.read(ref);
      return this.settleJournaled(entry.record, 'hold', entry.body);
    }
    const i = this.ready.findIndex((r) => r.id === id);
    if (i === -1) return;
    const [rec] = this.ready.splice(i, 1);
    if (this.refs.has(id)) {
      const body = this.readyBodies.get(id)!;
      this.readyBodies.delete(id);
      return this.settleJournaled(rec!, op === 'hold' ? 'hold' : undefined, body);
    }
    if (op === 'delete') await this.spool.remove(id, 'active');
    else await this.spool.move(id, 'active', 'hold', true);
  }
}
