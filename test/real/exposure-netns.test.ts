// The exposure checker against a real NAT topology built from network namespaces:
//   outside (20.0.113.2) --- router (WAN 20.0.113.1, LAN 192.168.77.1, nftables NAT) --- LAN host (192.168.77.10)
// All addresses exist only inside namespaces this test creates and deletes. The WAN side uses a
// non-reserved prefix because miniupnpd refuses mappings behind a reserved WAN address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { findTool, LAN, Topology, WAN, type RunResult } from '../helpers/exposure-netns.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OMR = join(ROOT, 'bin/omr.js');
const PEER = fileURLToPath(new URL('../helpers/exposure-smtp-server.js', import.meta.url));
const TOOLS = ['ip', 'nft', 'miniupnpd', 'upnpc'];
// The real `omr relay start` once it is in this build; until then a purpose-built smtp-server.
const REAL_RELAY = spawnSync(process.execPath, [OMR, 'relay', 'start', '--help'], { encoding: 'utf8', timeout: 15_000 }).stdout?.includes('--allow-public-clients') ?? false;

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'root (network namespaces)';
  return TOOLS.find((t) => !findTool(t));
}

const lack = missing();
const skip = lack && process.env.CI !== 'true' ? `needs ${lack} (apt packages in .ci/apt/exposure.txt)` : false;

let topo: Topology | undefined;
let tmp: string;

before(async () => {
  if (lack) {
    if (process.env.CI === 'true') throw new Error(`exposure real tests need ${lack}`);
    return;
  }
  tmp = mkdtempSync(join(tmpdir(), 'omr-exposure-'));
  topo = new Topology();
  try {
    await topo.build();
  } catch (e) {
    await topo.destroy();
    throw e;
  }
});

after(async () => {
  await topo?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function envelope(r: RunResult): Record<string, any> {
  try {
    return JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    throw new Error(`not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

async function checkFromOutside(): Promise<{ code: number | null; env: Record<string, any> }> {
  const r = await topo!.exec(topo!.outside, process.execPath, [OMR, 'check-exposure', WAN.router, '--ports', '25', '--timeout', '3', '--json']);
  return { code: r.code, env: envelope(r) };
}

/**
 * The relay on the LAN host. `refuse`: the relay's defaults (LAN clients only, so an outside
 * client is refused); `open`: --allow 0.0.0.0/0 --allow-public-clients, i.e. relays anything.
 */
async function startLanSmtp(kind: 'open' | 'refuse'): Promise<() => Promise<void>> {
  const args = REAL_RELAY
    ? [OMR, 'relay', 'start', '--listen', '0.0.0.0:25', '--smarthost', '127.0.0.1:9', '--tls', 'none', '--spool', mkdtempSync(join(tmp, 'spool-')),
      ...(kind === 'open' ? ['--allow', '0.0.0.0/0', '--allow-public-clients'] : [])]
    : [PEER, kind, '0.0.0.0', '25'];
  const child = topo!.spawnIn(topo!.lan, process.execPath, args);
  try {
    await topo!.waitListening(topo!.lan, 25);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${child.output()}`);
  }
  return () => topo!.stop(child);
}

test('no port forward: not-reachable, exit 0', { skip }, async () => {
  const stop = await startLanSmtp('refuse');
  try {
    const { code, env } = await checkFromOutside();
    assert.equal(env.data.exposure, 'not-reachable', JSON.stringify(env.checks));
    assert.equal(env.verdict, 'pass');
    assert.equal(code, 0);
    assert.equal(env.data.fromHereOnly, false, 'the WAN address is public inside the topology');
    assert.equal(env.checks.find((c: { id: string }) => c.id === 'tcp:25')?.detail?.state, 'refused');
  } finally {
    await stop();
  }
});

test('a router that drops the port: filtered, still not-reachable, bounded by --timeout', { skip }, async () => {
  await topo!.dropPort(25);
  try {
    const t0 = Date.now();
    const { code, env } = await checkFromOutside();
    assert.equal(env.checks.find((c: { id: string }) => c.id === 'tcp:25')?.detail?.state, 'filtered');
    assert.equal(env.data.exposure, 'not-reachable');
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 15_000);
  } finally {
    await topo!.undropPorts();
  }
});

test('a DNAT port forward to a relay that refuses outsiders: reachable-relay-refused, exit 1', { skip }, async (t) => {
  t.diagnostic(REAL_RELAY ? 'LAN relay: omr relay start (defaults)' : 'LAN relay: smtp-server peer refusing foreign recipients');
  const stop = await startLanSmtp('refuse');
  await topo!.addPortForward(25);
  try {
    const { code, env } = await checkFromOutside();
    assert.equal(env.data.exposure, 'reachable-relay-refused', JSON.stringify(env.checks));
    assert.equal(code, 1);
    // The purpose-built peer refuses at RCPT (all 16 variants tried); omr relay refuses at the greeting (554).
    if (REAL_RELAY) assert.match(env.data.ports[0].banner, /^554/);
    else assert.equal(env.data.ports[0].relay.tested, 16);
  } finally {
    await topo!.flushPortForwards();
    await stop();
  }
});

test('a DNAT port forward to a relay that relays anything: open-relay, exit 1', { skip }, async (t) => {
  t.diagnostic(REAL_RELAY ? 'LAN relay: omr relay start --allow 0.0.0.0/0 --allow-public-clients' : 'LAN relay: smtp-server peer relaying anything');
  const stop = await startLanSmtp('open');
  await topo!.addPortForward(25);
  try {
    const { code, env } = await checkFromOutside();
    assert.equal(env.data.exposure, 'open-relay', JSON.stringify(env.checks));
    assert.equal(code, 1);
    assert.ok(env.checks.some((c: { id: string; status: string }) => c.id === 'relay:25' && c.status === 'fail'));
  } finally {
    await topo!.flushPortForwards();
    await stop();
  }
});

test('miniupnpd on the router with a upnpc mapping: the inside report flags it, and outside sees it', { skip }, async () => {
  const conf = join(tmp, 'miniupnpd.conf');
  writeFileSync(conf, [
    `ext_ifname=${topo!.wanIf}`, `listening_ip=${topo!.lanIf}`, 'port=0', 'enable_natpmp=no', 'enable_upnp=yes', 'secure_mode=yes',
    'system_uptime=yes', 'uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b', `lease_file=${join(tmp, 'leases')}`,
    'upnp_table_name=omr', 'upnp_nat_table_name=omr', 'upnp_forward_chain=miniupnpd',
    'upnp_nat_chain=prerouting_miniupnpd', 'upnp_nat_postrouting_chain=postrouting_miniupnpd',
    `allow 1-65535 ${LAN.net} 1-65535`, 'deny 0-65535 0.0.0.0/0 0-65535', '',
  ].join('\n'));
  const upnpd = topo!.spawnIn(topo!.router, findTool('miniupnpd')!, ['-d', '-f', conf, '-P', join(tmp, 'miniupnpd.pid')]);
  const stopSmtp = await startLanSmtp('refuse');
  try {
    await new Promise((r) => setTimeout(r, 500));
    const add = await topo!.exec(topo!.lan, 'upnpc', ['-i', '-e', 'omr exposure test', '-a', LAN.host, '25', '25', 'TCP']);
    assert.match(add.stdout, /is redirected to internal 192\.168\.77\.10:25/, `upnpc: ${add.stdout}${add.stderr}\nminiupnpd: ${upnpd.output()}`);

    const inside = await topo!.exec(topo!.lan, process.execPath, [OMR, 'check-exposure', '--ports', '25,587', '--timeout', '3', '--json']);
    const env = envelope(inside);
    assert.equal(inside.code, 1, JSON.stringify(env.checks));
    assert.equal(env.data.mode, 'inside');
    assert.match(env.data.upnp.gateway, /^http:\/\/192\.168\.77\.1:\d+\//);
    assert.equal(env.data.upnp.externalAddress, WAN.router);
    assert.deepEqual(env.data.upnp.mappings.filter((m: { smtp: boolean }) => m.smtp).map((m: Record<string, unknown>) => [m.protocol, m.externalPort, m.internalClient, m.internalPort, m.description]),
      [['TCP', 25, LAN.host, 25, 'omr exposure test']]);
    assert.ok(env.data.upnp.mappings[0].leaseSeconds > 0);
    assert.equal(env.checks.find((c: { id: string }) => c.id === 'upnp:TCP:25')?.status, 'fail');
    assert.equal(env.data.nat.position, 'nat');
    assert.equal(env.data.outsideCommand, `npx omr-cli check-exposure ${WAN.router}`);
    assert.deepEqual(env.data.listeners, [{ address: '0.0.0.0', port: 25, scope: 'all' }]);

    // The mapping is real: from outside, the relay now answers.
    const { env: out } = await checkFromOutside();
    assert.equal(out.data.exposure, 'reachable-relay-refused');

    const human = await topo!.exec(topo!.lan, process.execPath, [OMR, 'check-exposure', '--ports', '25', '--timeout', '3']);
    assert.match(human.stdout.split('\n')[0]!, /^FAIL {2}EXPOSED \(inside view\)/);
    assert.match(human.stdout, /hairpin NAT/);
    assert.match(human.stdout, /npx omr-cli check-exposure 20\.0\.113\.1/);
  } finally {
    await stopSmtp();
    await topo!.stop(upnpd);
  }
});
