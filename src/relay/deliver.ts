// Delivery to the one smarthost through nodemailer. A lane is a nodemailer pool of exactly one
// connection, reused for many messages; the scheduler owns at most --max-connections lanes, so
// idle pooled connections count toward the budget (unlike Postfix's connection cache).
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import type { UpstreamFailure } from './classify.js';
import type { RelayOptions } from './types.js';

export interface SendResult {
  accepted: string[];
  /** Per-recipient refusals (the message still went to the accepted ones). */
  rejected: Array<{ address: string; failure: UpstreamFailure }>;
  /** Whole-transaction failure; accepted is then empty. */
  error?: UpstreamFailure & { message: string };
  response?: string;
}

type NmError = Error & { code?: string; responseCode?: number; command?: string; response?: string; recipient?: string; rejectedErrors?: NmError[] };

function toFailure(e: NmError): UpstreamFailure & { message: string } {
  return { code: e.code, responseCode: e.responseCode, command: e.command, response: e.response, message: e.message };
}

export function transportOptions(opts: RelayOptions): Record<string, unknown> {
  const secureTls = opts.tls !== 'none';
  return {
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    maxRequeues: 0,
    idleTimeout: 30_000,
    host: opts.smarthost.host,
    port: opts.smarthost.port,
    name: opts.hostname,
    secure: opts.tls === 'implicit',
    requireTLS: opts.tls === 'starttls',
    ignoreTLS: opts.tls === 'none',
    tls: {
      servername: opts.smarthost.host,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(opts.ca ? { ca: [...rootCertificates, opts.ca] } : {}),
    },
    // AUTH only where TLS protects it: never with --tls none.
    auth: secureTls && opts.user ? { user: opts.user, pass: opts.password ?? '' } : undefined,
    connectionTimeout: opts.upstreamTimeoutMs,
    greetingTimeout: opts.upstreamTimeoutMs,
    socketTimeout: opts.upstreamTimeoutMs,
    logger: false,
    debug: false,
  };
}

export class Lane {
  private readonly transport;
  busy = false;
  lastUsed = Date.now();
  constructor(opts: RelayOptions, readonly id: number) {
    this.transport = nodemailer.createTransport(transportOptions(opts) as never);
  }

  async send(from: string, to: string[], body: Readable): Promise<SendResult> {
    this.busy = true;
    try {
      const info = (await this.transport.sendMail({ envelope: { from, to }, raw: body } as never)) as {
        accepted?: Array<string | { address: string }>;
        rejectedErrors?: NmError[];
        response?: string;
      };
      const accepted = (info.accepted ?? []).map((a) => (typeof a === 'string' ? a : a.address));
      const rejected = (info.rejectedErrors ?? []).map((e) => ({ address: e.recipient ?? '', failure: toFailure(e) }));
      return { accepted, rejected, response: info.response };
    } catch (err) {
      const e = err as NmError;
      if (e.code === 'EENVELOPE' && e.rejectedErrors?.length) {
        const rejected = e.rejectedErrors.map((r) => ({ address: r.recipient ?? '', failure: toFailure(r) }));
        return { accepted: [], rejected };
      }
      return { accepted: [], rejected: [], error: toFailure(e) };
    } finally {
      body.destroy();
      this.busy = false;
      this.lastUsed = Date.now();
    }
  }

  close(): void {
    this.transport.close();
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
