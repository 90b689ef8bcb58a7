import type { CommandSpec } from '../../cli/spec.js';
import { parseDuration, parsePortList } from '../../core/parse.js';

export const DEFAULT_EXPOSURE_PORTS = [25, 465, 587, 2525];

export const checkExposureSpec: CommandSpec = {
  name: 'check-exposure',
  summary: 'prove the mail gateway is not reachable (or not an open relay) from the Internet',
  description: [
    'With TARGET (a host name or IP address; run from OUTSIDE the office network, e.g. in CI): per port a TCP connect (refused, filtered or open), the banner, EHLO, VRFY/EXPN, and unless --no-relay-test the open-relay battery: the 16 address variants nmap\'s smtp-open-relay uses (null sender, [IP] literals, the % hack, quoted local parts, source routes, bang paths), each as MAIL FROM + RCPT TO followed by RSET. DATA is never sent, so nothing is delivered; the battery stops at the first 530 (authentication required). Port 465 is spoken over implicit TLS, and STARTTLS is used when offered; certificates are not verified because only reachability is tested.',
    'Without TARGET (run INSIDE the LAN): the local sockets listening on the SMTP ports and their bind addresses (loopback, LAN, all interfaces, public), the router\'s port mappings over UPnP IGD (SSDP discovery, then GetGenericPortMappingEntry until the router says there are no more), the router\'s WAN address compared with this host\'s addresses (direct public IP, NAT, double NAT, CGNAT 100.64.0.0/10), and the command to run from outside. An inside test cannot prove outside reachability (hairpin NAT), so the inside report never claims "not reachable".',
    'data.exposure is one of not-reachable, reachable-auth-required, reachable-relay-refused, open-relay, inconclusive. Exit 0 when not exposed, 1 when an SMTP service answered from outside, relayed, or the router forwards an SMTP port, 2 on usage errors.',
  ].join('\n\n'),
  args: [{ name: 'target', description: 'public host name or IP address of the office gateway (outside mode); omit for the inside report' }],
  options: [
    { flags: '--ports <list>', description: 'comma-separated TCP ports to check (465 uses implicit TLS)', default: DEFAULT_EXPOSURE_PORTS, defaultText: '25,465,587,2525', parse: parsePortList },
    { flags: '--timeout <seconds>', description: 'time allowed per network step (connect, each reply, each UPnP request)', default: 10_000, defaultText: '10', parse: parseDuration },
    { flags: '--no-relay-test', description: 'outside mode: stop after EHLO/VRFY/EXPN, do not try the relay battery' },
    { flags: '--no-upnp', description: 'inside mode: do not look for a UPnP gateway or list its port mappings' },
  ],
  examples: [
    { command: 'npx omr-cli check-exposure gateway.example.com', description: 'from outside (a CI job, a phone hotspot): is anything on the SMTP ports, does it relay?' },
    { command: 'omr check-exposure', description: 'inside the LAN: listeners, UPnP port mappings, NAT position, and the command to run from outside' },
    { command: 'npx omr-cli check-exposure 203.0.113.7 --ports 25,587 --json', description: 'machine-readable result; exit 1 when exposed' },
  ],
  manPage: 'omr-check-exposure',
  manSections: {
    'HAIRPIN NAT': 'A connection from inside the LAN to the router\'s own public address is either looped back inside (hairpin NAT, so it looks reachable even when the Internet cannot reach it) or dropped (so it looks closed even when the Internet can reach it). Only a test from a network outside the office proves the answer; a CI job is such a network.',
    'CI USE': 'Run `npx omr-cli check-exposure HOST --json` in a scheduled CI job: the runner is outside the office network, the exit status is 1 when an SMTP service answers or relays, and the JSON envelope (data.exposure, data.ports) says why.',
    'PRIVATE TARGETS': 'When TARGET resolves to a private, CGNAT or loopback address the result is reported with a warning: it proves reachability from where the command ran, not from the Internet.',
  },
  load: () => import('./run.js'),
};
