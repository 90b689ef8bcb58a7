// A smarthost that cannot be reached holds all sending back (growing waits, one probe at a time)
// instead of trying every queued message against it; when it comes back, everything is sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { memoryLogger } from '../../src/core/logger.js';
import { deadPort } from '../helpers/ops.js';
import { relayOptions, sampleMessage, sendRaw, tempSpool, waitFor, withRelay } from '../helpers/relay.js';

test('smarthost down: a few probes instead of every message, status says so; back up: all 30 delivered once', async () => {
  const port = await deadPort();
  const spool = await tempSpool();
  const logger = memoryLogger();
  const received: string[] = [];
  let server: SMTPServer | undefined;
  try {
    const opts = relayOptions(spool.dir, { port, ca: '' }, { tls: 'none', user: undefined, password: undefined, smarthost: { host: '127.0.0.1', port } });
    await withRelay(opts, async (relay) => {
      for (let i = 0; i < 30; i++) await sendRaw(relay.addresses[0]!.port, 'pc@office.example', [`r${i}@example.net`], sampleMessage(i));
      await new Promise((r) => setTimeout(r, 2500));
      const attempts = logger.entries.filter((e) => e.event === 'delivery').length;
      // Retries are 200-1000 ms apart in these options: without the wait, 30 messages would
      // make well over 60 attempts in 2.5 s.
      assert.ok(attempts >= 2 && attempts <= 14, `${attempts} delivery attempts while unreachable`);
      assert.ok(logger.entries.some((e) => e.event === 'smarthost unreachable: holding deliveries back'));
      const st = relay.scheduler.status();
      assert.equal(st.state, 'backing-off');
      assert.match(st.reason ?? '', /unreachable/);
      server = new SMTPServer({
        authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
        onRcptTo(a, _s, cb) {
          received.push(a.address);
          cb();
        },
        onData(stream, _s, cb) {
          stream.resume();
          stream.on('end', () => cb(null));
        },
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
      await waitFor(() => received.length >= 30, 20_000, 'all 30 delivered after the smarthost came back');
      await new Promise((r) => setTimeout(r, 300));
    }, logger);
    assert.equal(received.length, 30);
    assert.equal(new Set(received).size, 30, 'each message once');
  } finally {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    await spool.cleanup();
  }
});
