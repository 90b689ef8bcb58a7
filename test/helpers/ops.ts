// Test helpers for the relay operations features: an "infected PC" that blasts messages over
// real SMTP from a chosen loopback source address, and a spool file counter.
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { journaledOnly } from '../../src/relay/journal/scan.js';

export interface BlastResult {
  /** Final reply code per message attempt (MAIL refusal, RCPT refusal or the DATA reply). */
  codes: number[];
  accepted: number;
  refused: number;
}

/** A line-based SMTP session; every wait bounded. */
class Session {
  private buf = '';
  private waiter?: () => void;
  constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('close', () => this.waiter?.());
    sock.on('error', () => undefined);
  }
  async reply(timeoutMs = 10_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3})(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return Number(m[1]);
      }
      if (this.sock.destroyed) return 0;
      if (Date.now() > end) throw new Error('no SMTP reply in time');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 100);
      });
    }
  }
  async cmd(line: string): Promise<number> {
    this.sock.write(line + '\r\n');
    return this.reply();
  }
  write(s: string): void {
    this.sock.write(s);
  }
  close(): void {
    this.sock.destroy();
  }
}

export async function openSession(port: number, localAddress = '127.0.0.1'): Promise<Session> {
  const sock = connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((res, rej) => {
    sock.once('connect', () => res());
    sock.once('error', rej);
  });
  const s = new Session(sock);
  if ((await s.reply()) !== 220) throw new Error('no greeting');
  if ((await s.cmd('EHLO infected-pc.lan')) !== 250) throw new Error('EHLO refused');
  return s;
}

/** What malware on a LAN PC does: as many messages as it can, one session, spam to many domains. */
export async function blast(port: number, o: { localAddress: string; count: number; rcptsPerMessage?: number; tag?: string }): Promise<BlastResult> {
  const s = await openSession(port, o.localAddress);
  const codes: number[] = [];
  try {
    for (let i = 0; i < o.count; i++) {
      const mail = await s.cmd(`MAIL FROM:<bot${i % 7}@infected.example>`);
      if (mail !== 250) {
        codes.push(mail);
        await s.cmd('RSET');
        continue;
      }
      let rc = 0;
      for (let r = 0; r < (o.rcptsPerMessage ?? 1); r++) rc = await s.cmd(`RCPT TO:<victim${i}.${r}@spam-target${i % 13}.example>`);
      if (rc !== 250) {
        codes.push(rc);
        await s.cmd('RSET');
        continue;
      }
      if ((await s.cmd('DATA')) !== 354) throw new Error('DATA refused');
      s.write(`From: <bot@infected.example>\r\nSubject: Cheap pills ${o.tag ?? ''} ${i}\r\nMessage-ID: <spam${i}.${Date.now()}@infected.example>\r\n\r\nBuy now ${i}.\r\n.\r\n`);
      codes.push(await s.reply());
    }
    await s.cmd('QUIT').catch(() => 0);
  } finally {
    s.close();
  }
  return { codes, accepted: codes.filter((c) => c === 250).length, refused: codes.filter((c) => c !== 250).length };
}

/** Record files per queue directory, counted straight from disk. */
export function spoolCounts(spool: string): Record<'incoming' | 'active' | 'deferred' | 'hold' | 'corrupt', number> {
  const names = (d: string): string[] => {
    try {
      return readdirSync(join(spool, d)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  };
  const dirs = { incoming: names('incoming'), active: names('active'), deferred: names('deferred'), hold: names('hold'), corrupt: names('corrupt') };
  // Messages still only in the journal are incoming too (as `relay status` counts them).
  const spooled = new Set(Object.values(dirs).flat().map((f) => f.slice(0, -'.json'.length)));
  let journaled = 0;
  try {
    journaled = journaledOnly(join(spool, 'journal'), (id) => spooled.has(id)).length;
  } catch {
    /* no journal */
  }
  return { incoming: dirs.incoming.length + journaled, active: dirs.active.length, deferred: dirs.deferred.length, hold: dirs.hold.length, corrupt: dirs.corrupt.length };
}

/** A loopback port nobody listens on (a smarthost that is down). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
