import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenerScope } from '../../src/exposure/scope.js';
import { classifyNat } from '../../src/exposure/nat.js';
import { parseDeviceDescription, parseSoapReply, mappingFromValues, soapEnvelope } from '../../src/exposure/igd.js';
import { parseSsdpResponse, mSearch } from '../../src/exposure/ssdp.js';
import { decodeXmlText, xmlElements } from '../../src/exposure/xml.js';
import { markSmtp } from '../../src/exposure/upnp.js';
import { worstExposure } from '../../src/exposure/outside-check.js';

test('listener scopes, CGNAT included (address ranges: core-address.test.ts)', () => {
  assert.equal(listenerScope('0.0.0.0'), 'all');
  assert.equal(listenerScope('::'), 'all');
  assert.equal(listenerScope('8.8.4.4'), 'public');
  assert.equal(listenerScope('172.16.0.1'), 'lan');
  assert.equal(listenerScope('100.64.1.1'), 'lan');
});

test('NAT position: direct, NAT, double NAT, CGNAT, unknown', () => {
  assert.equal(classifyNat(['192.168.1.5'], '81.2.69.160').position, 'nat');
  assert.equal(classifyNat(['192.168.1.5'], '100.72.3.4').position, 'cgnat');
  assert.equal(classifyNat(['192.168.1.5'], '10.0.0.2').position, 'double-nat');
  assert.equal(classifyNat(['81.2.69.160'], '81.2.69.160').position, 'direct');
  assert.equal(classifyNat(['192.168.1.5', '81.2.69.161']).position, 'direct');
  assert.equal(classifyNat(['192.168.1.5']).position, 'unknown');
  assert.match(classifyNat(['192.168.1.5'], '100.72.3.4').reason, /carrier-grade/);
});

const DESC = `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0">
<device><friendlyName>Box &amp; Co</friendlyName><serviceList>
<service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/L3F</controlURL></service></serviceList>
<deviceList><device><deviceList><device><serviceList>
<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service>
<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl/IPConn</controlURL></service>
</serviceList></device></deviceList></device></deviceList></device></root>`;

test('device description: WAN services found in nested devices, IP before PPP, URLs made absolute', () => {
  const d = parseDeviceDescription(DESC, 'http://192.168.1.1:5000/rootDesc.xml');
  assert.equal(d.friendlyName, 'Box & Co');
  assert.deepEqual(d.services.map((s) => s.controlUrl), ['http://192.168.1.1:5000/ctl/IPConn', 'http://192.168.1.1:5000/ppp']);
  const withBase = parseDeviceDescription(DESC.replace('<device>', '<URLBase>http://10.0.0.1:80/</URLBase><device>'), 'http://192.168.1.1:5000/x.xml');
  assert.equal(withBase.services[0]!.controlUrl, 'http://10.0.0.1/ctl/IPConn');
});

test('SOAP: response values, UPnP fault, envelope escaping', () => {
  const ok = parseSoapReply(200, '<s:Envelope><s:Body><u:GetGenericPortMappingEntryResponse xmlns:u="x"><NewRemoteHost></NewRemoteHost><NewExternalPort>25</NewExternalPort><NewProtocol>tcp</NewProtocol><NewInternalPort>2525</NewInternalPort><NewInternalClient>192.168.1.9</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>mail &lt;relay&gt;</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration></u:GetGenericPortMappingEntryResponse></s:Body></s:Envelope>', 'GetGenericPortMappingEntry');
  assert.ok(ok.ok);
  const m = mappingFromValues(ok.values);
  assert.deepEqual(m, { protocol: 'TCP', externalPort: 25, internalClient: '192.168.1.9', internalPort: 2525, description: 'mail <relay>', leaseSeconds: 3600, enabled: true, remoteHost: '' });
  assert.equal(markSmtp(m, [25]).smtp, true);
  assert.equal(markSmtp({ ...m, externalPort: 8080, internalPort: 8080 }, [25]).smtp, false);
  assert.equal(markSmtp({ ...m, protocol: 'UDP' }, [25]).smtp, false);
  const fault = parseSoapReply(500, '<s:Fault><detail><UPnPError><errorCode>713</errorCode><errorDescription>SpecifiedArrayIndexInvalid</errorDescription></UPnPError></detail></s:Fault>', 'GetGenericPortMappingEntry');
  assert.deepEqual(fault, { ok: false, status: 500, errorCode: 713, errorDescription: 'SpecifiedArrayIndexInvalid' });
  assert.match(soapEnvelope('urn:x', 'Act', { A: '<&>' }), /<u:Act xmlns:u="urn:x"><A>&lt;&amp;&gt;<\/A><\/u:Act>/);
});

test('xml helpers: prefixes ignored, entities and CDATA decoded', () => {
  assert.deepEqual(xmlElements('<a:x>1</a:x><x attr="2">2</x><x/>', 'x'), ['1', '2', '']);
  assert.equal(decodeXmlText('&#65;&#x42;&quot;'), 'AB"');
  assert.equal(decodeXmlText('<![CDATA[a<b]]>'), 'a<b');
});

test('SSDP: M-SEARCH text and response parsing', () => {
  assert.match(mSearch('urn:x', '239.255.255.250', 1900, 2), /^M-SEARCH \* HTTP\/1\.1\r\nHOST: 239\.255\.255\.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: urn:x\r\n\r\n$/);
  const r = parseSsdpResponse('HTTP/1.1 200 OK\r\nst: urn:x\r\nLocation: http://192.168.1.1:5000/rootDesc.xml\r\nServer: a b c\r\n\r\n', '192.168.1.1');
  assert.deepEqual(r, { location: 'http://192.168.1.1:5000/rootDesc.xml', st: 'urn:x', server: 'a b c', usn: undefined, from: '192.168.1.1' });
  assert.equal(parseSsdpResponse('NOTIFY * HTTP/1.1\r\nLOCATION: x\r\n', 'a'), undefined);
});

test('the worst port decides the exposure', () => {
  assert.equal(worstExposure([]), 'not-reachable');
  assert.equal(worstExposure(['not-reachable', 'reachable-auth-required']), 'reachable-auth-required');
  assert.equal(worstExposure(['reachable-relay-refused', 'open-relay', 'inconclusive']), 'open-relay');
  assert.equal(worstExposure(['not-reachable', 'inconclusive']), 'inconclusive');
});
