import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { checkInside } from '../../src/exposure/inside-check.js';
import { listListeners } from '../../src/exposure/listeners.js';
import { surveyUpnp } from '../../src/exposure/upnp.js';
import { startFakeIgd } from '../helpers/exposure.js';

test('the OS inventory sees a socket we listen on, with its scope', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (srv.address() as net.AddressInfo).port;
    const inv = await listListeners();
    assert.notEqual(inv.source, 'none', inv.error);
    assert.ok(inv.listeners.some((l) => l.port === port && l.address === '127.0.0.1' && l.scope === 'loopback'));
  } finally {
    srv.close();
  }
});

test('UPnP survey: SSDP, description, WAN address, every mapping until the 713 error', async () => {
  const igd = await startFakeIgd('81.2.69.160', [
    { protocol: 'UDP', externalPort: 51413, internalClient: '192.168.1.20', internalPort: 51413, description: 'torrent', leaseSeconds: 0 },
    { protocol: 'TCP', externalPort: 25, internalClient: '192.168.1.10', internalPort: 25, description: 'mail', leaseSeconds: 3600 },
    { protocol: 'TCP', externalPort: 8025, internalClient: '192.168.1.10', internalPort: 587, description: 'alt', leaseSeconds: 0 },
  ]);
  try {
    const s = await surveyUpnp([25, 587], 3000, { address: '127.0.0.1', port: igd.ssdpPort, timeoutMs: 500 });
    assert.equal(s.gateway, igd.location);
    assert.equal(s.externalAddress, '81.2.69.160');
    assert.equal(s.friendlyName, 'Fake & Test Router');
    assert.deepEqual(s.mappings.map((m) => [m.protocol, m.externalPort, m.smtp]), [['UDP', 51413, false], ['TCP', 25, true], ['TCP', 8025, true]]);
    assert.match(s.listEndedWith ?? '', /^713/);
    assert.equal(igd.soapActions.filter((a) => a === 'GetGenericPortMappingEntry').length, 4);
  } finally {
    await igd.close();
  }
});

test('inside report: SMTP mappings fail as upnp:<proto>:<port>, listeners scoped, outside command named', async () => {
  const igd = await startFakeIgd('100.72.9.9', [
    { protocol: 'TCP', externalPort: 25, internalClient: '192.168.1.10', internalPort: 25, description: 'mail', leaseSeconds: 3600 },
  ]);
  try {
    const r = await checkInside({
      ports: [25, 587], timeoutMs: 3000, upnp: true, ssdp: { address: '127.0.0.1', port: igd.ssdpPort, timeoutMs: 500 },
      hostAddresses: ['192.168.1.10'],
      inventory: async () => ({ source: 'ss', listeners: [
        { address: '0.0.0.0', port: 25, scope: 'all' }, { address: '127.0.0.1', port: 587, scope: 'loopback' }, { address: '0.0.0.0', port: 22, scope: 'all' },
      ] }),
    });
    const byId = new Map(r.checks.map((c) => [c.id, c.status]));
    assert.equal(byId.get('upnp:TCP:25'), 'fail');
    assert.equal(byId.get('listener:0.0.0.0:25'), 'warn');
    assert.equal(byId.get('listener:127.0.0.1:587'), 'pass');
    assert.equal(byId.has('listener:0.0.0.0:22'), false, 'non-SMTP ports are left out');
    assert.equal(byId.get('outside-test'), 'skip');
    assert.equal(r.data.nat.position, 'cgnat');
    assert.equal(r.data.exposure, 'inconclusive');
    assert.equal(r.data.outsideCommand, 'npx omr-cli check-exposure 100.72.9.9');
    assert.deepEqual(r.data.upnp?.mappings[0], { protocol: 'TCP', externalPort: 25, internalClient: '192.168.1.10', internalPort: 25, description: 'mail', leaseSeconds: 3600, smtp: true });
  } finally {
    await igd.close();
  }
});

test('inside report without a gateway: no failure, position unknown, public host address fails a wildcard listener', async () => {
  const r = await checkInside({
    ports: [25], timeoutMs: 1000, upnp: false, hostAddresses: ['81.2.69.161'],
    inventory: async () => ({ source: 'proc', listeners: [{ address: '::', port: 25, scope: 'all' }] }),
  });
  const byId = new Map(r.checks.map((c) => [c.id, c.status]));
  assert.equal(byId.get('upnp'), 'skip');
  assert.equal(byId.get('nat'), 'warn');
  assert.equal(byId.get('listener:[::]:25'), 'fail');
});
