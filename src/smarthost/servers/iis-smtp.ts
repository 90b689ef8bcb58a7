// IIS 6 SMTP Service (Windows Server): its smarthost settings live in the IIS 6 Manager; the
// metabase has no documented scriptable switch for outbound TLS, so these are exact steps.
import { UsageError } from '../../core/errors.js';
import { reminder } from '../common.js';
import type { Answers, Generated } from '../types.js';

export function iisSmtp(a: Answers): Generated {
  if (a.tls === 'implicit') throw new UsageError('iis-smtp: the IIS SMTP service cannot do implicit TLS (465); use --tls starttls with port 587');
  const listen = a.listen.find((e) => !e.host.startsWith('127.'))?.host ?? '(this server\'s LAN address)';
  const lines = [
    'IIS 6.0 Manager > [SMTP Virtual Server #1] > Properties:',
    `1. General: IP address ${listen} (not "All Unassigned"); Limit number of connections to 50.`,
    '2. Access > Authentication: Anonymous access ticked (LAN clients), Basic and Integrated as you need.',
    `3. Access > Connection: "Only the list below": ${a.lan.join(', ') || 'your LAN'} and 127.0.0.1.`,
    `4. Access > Relay: "Only the list below": ${a.lan.join(', ') || 'your LAN'} and 127.0.0.1; untick "Allow all computers which successfully authenticate".`,
    `5. Delivery > Outbound Security: Basic authentication, User name ${a.user}, Password: the OMR password; tick "TLS encryption".`,
    `6. Delivery > Outbound connections: Limit number of connections to ${a.maxConnections}; TCP port ${a.smarthost.port}.`,
    `7. Delivery > Advanced: Fully-qualified domain name ${a.hostname}; Smart host ${a.smarthost.host}; untick "Attempt direct delivery before sending to smart host".`,
    '8. OK, then restart the SMTP virtual server.',
    '',
  ];
  return {
    server: 'iis-smtp',
    title: 'IIS SMTP Service',
    files: [{ path: 'omr-smarthost-iis-smtp.txt', content: lines.join('\r\n'), mode: 0o644, secret: false, merge: { kind: 'whole' } }],
    steps: [
      ...(a.ca ? [{ text: `Trust the smarthost CA: Import-Certificate -FilePath ${a.ca} -CertStoreLocation Cert:\\LocalMachine\\Root` }] : []),
      ...lines.filter(Boolean).map((text) => ({ text })),
      reminder(a, 'the virtual server is started and "Smart host" is filled in'),
    ],
    checks: [],
    warnings: ['IIS SMTP verifies the smarthost certificate with the Windows certificate store; it cannot pin a CA per host.'],
  };
}
