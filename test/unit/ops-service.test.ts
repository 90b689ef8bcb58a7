import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installSteps, systemdQuote, systemdUnit, validateServiceOptions, type ServiceOptions } from '../../src/ops/service.js';

const base: ServiceOptions = { name: 'omr-relay', user: 'omr', node: '/usr/bin/node', script: '/usr/lib/node_modules/omr-cli/bin/omr.js', spool: '/var/spool/omr', config: '/etc/omr/relay.yaml' };

function directives(unit: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of unit.split('\n')) {
    const x = /^([A-Za-z]+)=(.*)$/.exec(l);
    if (x) m.set(x[1]!, [...(m.get(x[1]!) ?? []), x[2]!]);
  }
  return m;
}

describe('systemd unit', () => {
  it('is hardened: dedicated user, read-only system but the spool, only CAP_NET_BIND_SERVICE', () => {
    const d = directives(systemdUnit(base));
    const one = (k: string): string | undefined => d.get(k)?.[0];
    assert.equal(one('User'), 'omr');
    assert.equal(one('Group'), 'omr');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('ReadWritePaths'), '/var/spool/omr');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
    assert.equal(one('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
    assert.equal(one('PrivateTmp'), 'yes');
    assert.equal(one('ProtectHome'), 'yes');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one('ExecStart'), '/usr/bin/node /usr/lib/node_modules/omr-cli/bin/omr.js relay start --spool /var/spool/omr --config /etc/omr/relay.yaml');
    assert.equal(one('WantedBy'), 'multi-user.target');
    assert.equal(d.get('LoadCredential'), undefined);
  });

  it('passes the password as a systemd credential, never on the command line', () => {
    const unit = systemdUnit({ ...base, passwordFile: '/etc/omr/password' });
    const d = directives(unit);
    assert.equal(d.get('LoadCredential')![0], 'omr-password:/etc/omr/password');
    assert.match(d.get('ExecStart')![0]!, /--password-file \$\{CREDENTIALS_DIRECTORY\}\/omr-password$/);
  });

  it('quotes paths with spaces and escapes % and $', () => {
    assert.equal(systemdQuote('/opt/omr cli/bin/omr.js'), '"/opt/omr cli/bin/omr.js"');
    assert.equal(systemdQuote('/a/100%'), '/a/100%%');
    assert.equal(systemdQuote('/a/$x'), '/a/$$x');
  });

  it('validates names and paths', () => {
    assert.deepEqual(validateServiceOptions(base), []);
    const p = validateServiceOptions({ ...base, user: 'Root Admin', spool: 'spool', config: '/etc/a\nExecStartPre=/bin/sh' });
    assert.equal(p.length, 3);
  });

  it('lists the follow-up steps', () => {
    const s = installSteps(base, '/etc/systemd/system/omr-relay.service');
    assert.ok(s.some((l) => l.startsWith('getent passwd omr') && l.includes('useradd --system')));
    assert.ok(s.includes('systemctl enable --now omr-relay'));
  });
});
