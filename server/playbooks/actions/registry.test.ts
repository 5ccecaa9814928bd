import { describe, expect, it } from 'vitest';
import { CONNECTORS } from './connector-call.ts';
import { ACTIONS, actionNames } from './registry.ts';

const NAMES = [
  'incident.set_fields',
  'incident.set_status',
  'incident.add_entry',
  'incident.add_tasks',
  'intel.lookup',
  'notify.email',
  'notify.slack',
  'notify.teams',
  'http.request',
  'script.run',
  'firewall.block_ip',
  'proxy.block_domain',
  'identity.disable_account',
  'identity.reset_password',
  'identity.revoke_sessions',
  'edr.isolate_host',
  'edr.release_host',
  'edr.collect_memory',
  'edr.block_hash',
  'mail.purge_message',
  'enrich.virustotal',
  'enrich.abuseipdb',
  'core.noop',
  'core.wait',
  'core.fail',
];

describe('action registry', () => {
  it('has exactly the actions playbooks may name', () => {
    expect(actionNames().sort()).toEqual([...NAMES].sort());
  });

  it('every connector an action needs is one an admin can configure', () => {
    for (const a of ACTIONS.values()) if (a.connector) expect(Object.keys(CONNECTORS), a.name).toContain(a.connector);
  });

  it('PB16: actions that touch the outside world are marked as effects (dry run skips them)', () => {
    const effects = [...ACTIONS.values()].filter((a) => a.effect).map((a) => a.name);
    expect(effects).toEqual(
      expect.arrayContaining([
        'http.request',
        'script.run',
        'notify.email',
        'firewall.block_ip',
        'identity.disable_account',
        'edr.isolate_host',
        'mail.purge_message',
      ]),
    );
    expect(effects).not.toContain('enrich.virustotal');
  });
});
