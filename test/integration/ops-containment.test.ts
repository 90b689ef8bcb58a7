// Issue 8 "done when": a simulated infected client sending hundreds of messages over real SMTP is
// rate-limited with 4xx, named by `omr relay clients`, traced by `omr relay trace`, and its
// queued mail is held by `omr queue hold --client`; `omr relay status --json` matches the spool.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../../src/core/logger.js';
import { parseRateList } from '../../src/core/rate.js';
import { startRelay, type RunningRelay } from '../../src/relay/relay.js';
import { parseEnvelope, runCli } from '../helpers/cli.js';
import { blast, deadPort, spoolCounts } from '../helpers/ops.js';
import { relayOptions, tempSpool, waitFor } from '../helpers/relay.js';

const INFECTED = '127.0.0.5';
const OFFICE = '127.0.0.7';

describe('containing an infected PC', () => {
  let relay: RunningRelay;
  let spool: { dir: string; cleanup(): Promise<void> };
  const logger = memoryLogger();
  let port: number;

  before(async () => {
    spool = await tempSpool();
    // The smarthost is down, so everything stays queued (deferred) for the hold step.
    const sinkPort = await deadPort();
    relay = await startRelay(
      relayOptions(spool.dir, { port: sinkPort, ca: '' }, {
        ca: undefined,
        retryBaseMs: 60_000,
        retryMaxMs: 60_000,
        // An hourly limit makes the count exact however slow the machine is.
        ops: { clientRate: parseRateList('100/hour'), clientRecipientRate: parseRateList('1000/hour'), dedupeWindow: 600_000 },
      }),
      logger,
    );
    port = relay.addresses[0]!.port;
  });

  after(async () => {
    await relay?.stop();
    await spool?.cleanup();
  });

  it('rate-limits the infected client with 451 (never 5xx) and leaves the office PC alone', async () => {
    const [bad, good] = await Promise.all([blast(port, { localAddress: INFECTED, count: 300, rcptsPerMessage: 3 }), blast(port, { localAddress: OFFICE, count: 5, tag: 'office' })]);
    assert.equal(bad.accepted, 100, 'exactly the 100/hour limit got through');
    assert.equal(bad.refused, 200);
    assert.ok(bad.codes.every((c) => c === 250 || c === 451), `only 250 and 451 replies: ${[...new Set(bad.codes)].join(',')}`);
    assert.equal(good.accepted, 5);
    const spike = logger.entries.find((e) => e.event.startsWith('SPIKE'));
    assert.ok(spike, 'a spike alarm was logged');
    assert.equal(spike.fields.client, INFECTED);
  });

  it('`omr relay clients` names the infected PC first', async () => {
    const r = await runCli(['relay', 'clients', '--json', '--spool', spool.dir]);
    assert.equal(r.code, 0, r.stderr);
    const env = parseEnvelope(r);
    assert.equal(env.data.source, 'relay');
    const [top, second] = env.data.clients;
    assert.equal(top.client, INFECTED);
    assert.equal(top.hour.messages, 100);
    assert.equal(top.hour.recipients, 300);
    assert.equal(top.hour.rejects, 200);
    assert.equal(top.hour.domains, 13);
    assert.equal(top.day.senders, 7);
    assert.equal(second.client, OFFICE);
    assert.equal(second.hour.messages, 5);
    const human = await runCli(['relay', 'clients', '--spool', spool.dir]);
    assert.match(human.stdout.split('\n')[1]!, new RegExp(`^${INFECTED.replace(/\./g, '\\.')}\\s+100\\s+300\\s+13\\s+200\\b`));
  });

  it('`omr relay trace` lists what it sent and what was refused', async () => {
    // Repeated refusals are folded into one log line per 10 s, so wait for that line.
    let env: Record<string, any> = {};
    await waitFor(async () => {
      const r = await runCli(['relay', 'trace', INFECTED, '--since', '1h', '--json', '--spool', spool.dir]);
      assert.equal(r.code, 0, r.stderr);
      env = parseEnvelope(r);
      return env.data.counts.refused === 200;
    }, 20_000, '200 refusals in the trace').catch((e) => { throw new Error(e.message + ' ' + JSON.stringify(env.data?.counts) + JSON.stringify(env.data?.messages.filter((m: { status: string }) => m.status === 'refused'))); });
    assert.equal(env.data.counts.queued, 100);
    const refusedRows = env.data.messages.filter((m: { status: string }) => m.status === 'refused');
    assert.ok(refusedRows.length <= 6, `refusals folded into a few lines (${refusedRows.length})`);
    const first = env.data.messages.find((m: { status: string }) => m.status === 'queued');
    assert.match(first.subject, /^Cheap pills\s+0$/);
    assert.equal(first.recipients.length, 3);
    assert.match(first.id, /^[0-9A-Z]{17}$/);
    const refused = env.data.messages.find((m: { status: string }) => m.status === 'refused');
    assert.equal(refused.reason, 'rate-messages');
    assert.match(refused.reply, /^451 4\.7\.1/);
    await waitFor(async () => {
      const t = parseEnvelope(await runCli(['relay', 'trace', INFECTED, '--json', '--spool', spool.dir]));
      return t.data.messages.some((m: { upstream?: string }) => m.upstream);
    }, 15_000, 'a delivery attempt in the trace');
  });

  it('`omr queue hold --client` quarantines everything it queued, nothing of the office PC', async () => {
    // With the smarthost unreachable the relay holds sending back after the first failures, so
    // the queue settles with some messages deferred and the rest still incoming, none active.
    await waitFor(() => { const c = spoolCounts(spool.dir); return c.active === 0 && c.incoming + c.deferred === 105; }, 20_000, 'all 105 queued, none active');
    const r = await runCli(['queue', 'hold', '--client', INFECTED, '--json', '--spool', spool.dir]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => spoolCounts(spool.dir).hold === 100, 10_000, '100 held');
    const list = parseEnvelope(await runCli(['queue', 'list', '--json', '--spool', spool.dir]));
    const held = list.data.messages.filter((m: { state: string }) => m.state === 'hold');
    assert.equal(held.length, 100);
    assert.ok(held.every((m: { client: string }) => m.client === INFECTED));
    const rest = list.data.messages.filter((m: { state: string }) => m.state !== 'hold');
    assert.equal(rest.length, 5);
    assert.ok(rest.every((m: { client: string }) => m.client === OFFICE));
  });

  it('`omr relay status --json` matches the spool, live and with the relay stopped', async () => {
    const live = await runCli(['relay', 'status', '--json', '--spool', spool.dir]);
    const env = parseEnvelope(live);
    assert.equal(env.data.source, 'relay');
    assert.equal(env.data.running, true);
    const disk = spoolCounts(spool.dir);
    assert.deepEqual(env.data.queue, { ...disk, total: disk.incoming + disk.active + disk.deferred + disk.hold });
    assert.equal(env.data.queue.hold, 100);
    assert.equal(env.data.concurrency.limit, 5);
    assert.ok(env.data.oldest && env.data.oldest.ageSeconds >= 0);
    assert.ok(['ok', 'backing-off'].includes(env.data.upstream.state), env.data.upstream.state);
    await relay.stop();
    const down = parseEnvelope(await runCli(['relay', 'status', '--json', '--spool', spool.dir]));
    assert.equal(down.data.source, 'spool');
    assert.equal(down.data.running, false);
    assert.equal(down.data.upstream.state, 'stopped');
    assert.deepEqual(down.data.queue, env.data.queue);
    assert.equal(down.data.oldest.id, env.data.oldest.id);
    const clients = parseEnvelope(await runCli(['relay', 'clients', '--json', '--spool', spool.dir]));
    assert.equal(clients.data.source, 'spool');
    assert.equal(clients.data.clients[0].client, INFECTED, 'counters survive the stop (snapshot)');
    assert.equal(clients.data.clients[0].hour.messages, 100);
  });
});
