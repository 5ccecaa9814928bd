import { describe, expect, it } from 'vitest';
import { playbookSchema, type Playbook } from '../../shared/playbook.ts';
import { compileExpression } from './expr.ts';
import { criteriaMismatch, incidentMismatch, matchesIncident } from './match.ts';

function playbook(match: Record<string, unknown>) {
  const def: Playbook = playbookSchema.parse({ id: 'p', name: 'P', version: 1, match, steps: [{ id: 'a', action: 'core.noop' }] });
  const when = def.match.when ? compileExpression(def.match.when) : null;
  if (when && !when.ok) throw new Error(when.error);
  return { def, when: when?.value ?? null };
}

function makeIncident(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    category: 'account_compromise',
    severity: 'S3',
    tags: ['VPN', 'finance'],
    observables: [{ kind: 'ip', value: '203.0.113.7' }],
    custom_fields: {},
    ...over,
  };
}

describe('PB5: matchesIncident', () => {
  it('an empty match applies to every incident', async () => {
    expect(await matchesIncident(playbook({}), makeIncident())).toBe(true);
  });

  it('checks the category', async () => {
    const p = playbook({ categories: ['account_compromise', 'insider'] });
    expect(await matchesIncident(p, makeIncident())).toBe(true);
    expect(await matchesIncident(p, makeIncident({ category: 'phishing' }))).toBe(false);
  });

  it('severity at least S2 means S1 or S2 (S1 is the most severe)', async () => {
    const p = playbook({ severity_at_least: 'S2' });
    expect(await matchesIncident(p, makeIncident({ severity: 'S1' }))).toBe(true);
    expect(await matchesIncident(p, makeIncident({ severity: 'S2' }))).toBe(true);
    expect(await matchesIncident(p, makeIncident({ severity: 'S3' }))).toBe(false);
    expect(await matchesIncident(p, makeIncident({ severity: 'bogus' }))).toBe(false);
  });

  it('needs at least one observable of one of the kinds', async () => {
    const p = playbook({ observable_kinds: ['account', 'ip'] });
    expect(await matchesIncident(p, makeIncident())).toBe(true);
    expect(await matchesIncident(p, makeIncident({ observables: [{ kind: 'hash', value: 'x' }] }))).toBe(false);
    expect(await matchesIncident(p, makeIncident({ observables: [] }))).toBe(false);
  });

  it('needs every tag (case-insensitive)', async () => {
    expect(await matchesIncident(playbook({ tags: ['vpn', 'finance'] }), makeIncident())).toBe(true);
    expect(await matchesIncident(playbook({ tags: ['vpn', 'hr'] }), makeIncident())).toBe(false);
  });

  it('applies the when guard over the incident, and a failing guard does not match', async () => {
    const p = playbook({ when: 'incident.custom_fields.privileged_account = true' });
    expect(await matchesIncident(p, makeIncident({ custom_fields: { privileged_account: true } }))).toBe(true);
    expect(await matchesIncident(p, makeIncident())).toBe(false);
    expect(await matchesIncident(playbook({ when: 'incident.severity + 1' }), makeIncident())).toBe(false);
  });

  it('every criterion must hold together', async () => {
    const p = playbook({ categories: ['account_compromise'], severity_at_least: 'S3', tags: ['vpn'] });
    expect(await matchesIncident(p, makeIncident())).toBe(true);
    expect(await matchesIncident(p, makeIncident({ severity: 'S4' }))).toBe(false);
  });
  it('names the first criterion an incident fails, for the refusal of a run', async () => {
    const match = playbook({ categories: ['account_compromise'], severity_at_least: 'S2', observable_kinds: ['account'], tags: ['privileged', 'vpn'] }).def
      .match;
    expect(criteriaMismatch(match, makeIncident({ category: 'phishing' }))).toBe('its category is phishing; the playbook applies to account_compromise');
    expect(criteriaMismatch(match, makeIncident())).toBe('its severity is S3; the playbook needs S2 or more severe');
    expect(criteriaMismatch(match, makeIncident({ severity: 'S1' }))).toBe('it has no observable of kind account');
    const withAccount = makeIncident({ severity: 'S1', observables: [{ kind: 'account', value: 'cfo' }] });
    expect(criteriaMismatch(match, withAccount)).toBe('it lacks the tag privileged');
    expect(criteriaMismatch(match, { ...withAccount, tags: ['VPN', 'Privileged'] })).toBeNull();
    const guarded = playbook({ when: "incident.custom_fields.env = 'prod'" });
    expect(await incidentMismatch(guarded, makeIncident())).toBe("its match.when guard (incident.custom_fields.env = 'prod') is false for it");
    expect(await incidentMismatch(guarded, makeIncident({ custom_fields: { env: 'prod' } }))).toBeNull();
  });
});
