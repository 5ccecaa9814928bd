import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, slaFor, type SlaInput } from './sla.ts';
import { priorityScore } from './priority.ts';
import { TEMPLATES, validateCustomFields, type CustomFieldDef } from './templates.ts';

const created = '2026-03-01T10:00:00.000Z';
const at = (min: number): Date => new Date(Date.parse(created) + min * 60_000);
const base: SlaInput = { severity: 'S1', status: 'new', createdAt: created, resolvedAt: null, breach: null };

describe('slaFor', () => {
  it.each([
    ['S1', '2026-03-01T10:15:00.000Z', '2026-03-01T14:00:00.000Z'],
    ['S2', '2026-03-01T11:00:00.000Z', '2026-03-02T10:00:00.000Z'],
    ['S3', '2026-03-01T14:00:00.000Z', '2026-03-04T10:00:00.000Z'],
    ['S4', '2026-03-02T10:00:00.000Z', '2026-03-08T10:00:00.000Z'],
    ['S5', '2026-03-04T10:00:00.000Z', '2026-03-31T10:00:00.000Z'],
  ] as const)('%s: response due %s, resolution due %s', (severity, response, resolution) => {
    const s = slaFor({ ...base, severity }, DEFAULT_SLA_POLICY, at(0));
    expect(s.response_due).toBe(response);
    expect(s.resolution_due).toBe(resolution);
    expect(s.state).toBe('on_track');
  });

  it.each([
    [0, 'new', null, 'on_track', 'on_track', 15],
    [12, 'new', null, 'due_soon', 'on_track', 3],
    [16, 'new', null, 'overdue', 'on_track', -1],
    [16, 'triage', null, 'met', 'on_track', 224],
    [200, 'triage', null, 'met', 'due_soon', 40],
    [300, 'containment', null, 'met', 'overdue', -60],
    [300, 'post_incident', '2026-03-01T13:00:00.000Z', 'met', 'met', null],
  ] as const)('at +%i min, status %s: response %s / resolution %s', (min, status, resolvedAt, response, resolution, left) => {
    const s = slaFor({ ...base, status, resolvedAt }, DEFAULT_SLA_POLICY, at(min));
    expect(s.response_state).toBe(response);
    expect(s.resolution_state).toBe(resolution);
    expect(s.minutes_left).toBe(left);
  });

  it.each([
    ['gdpr', '2026-03-04T09:00:00.000Z'],
    ['nis2', '2026-03-02T09:00:00.000Z'],
    ['hipaa', '2026-04-30T09:00:00.000Z'],
  ])('breach under %s is due %s', (regulation, due) => {
    const s = slaFor({ ...base, breach: { regulation, awareAt: '2026-03-01T09:00:00.000Z' } }, DEFAULT_SLA_POLICY, at(0));
    expect(s.breach_notification_due).toBe(due);
    expect(s.breach_state).toBe('on_track');
  });

  it('an overdue breach clock makes the whole state overdue; unknown regulations have no clock', () => {
    const s = slaFor({ ...base, status: 'triage', breach: { regulation: 'gdpr', awareAt: '2026-02-20T00:00:00.000Z' } }, DEFAULT_SLA_POLICY, at(1));
    expect(s.breach_state).toBe('overdue');
    expect(s.state).toBe('overdue');
    expect(slaFor({ ...base, breach: { regulation: 'x', awareAt: created } }, DEFAULT_SLA_POLICY, at(0)).breach_notification_due).toBeNull();
  });
});

describe('priorityScore', () => {
  it('adds severity, asset criticality, SLA and age, and explains each', () => {
    const p = priorityScore({ severity: 'S1', maxAssetCriticality: 5, slaMinutesLeft: -5, ageMinutes: 3 * 1_440 });
    expect(p.score).toBe(40 + 20 + 30 + 6);
    expect(p.factors.map((f) => f.factor)).toEqual(['severity', 'asset_criticality', 'sla', 'age']);
    expect(p.explanation).toContain('SLA overdue by 5 min');
    expect(priorityScore({ severity: 'S5', maxAssetCriticality: null, slaMinutesLeft: null, ageMinutes: 0 }).score).toBe(0);
  });

  it('orders: critical asset beats none at equal severity; overdue beats on-track', () => {
    const a = priorityScore({ severity: 'S3', maxAssetCriticality: 5, slaMinutesLeft: 2_000, ageMinutes: 0 }).score;
    const b = priorityScore({ severity: 'S3', maxAssetCriticality: null, slaMinutesLeft: 2_000, ageMinutes: 0 }).score;
    const c = priorityScore({ severity: 'S3', maxAssetCriticality: null, slaMinutesLeft: -1, ageMinutes: 0 }).score;
    expect(a).toBeGreaterThan(b);
    expect(c).toBeGreaterThan(b);
  });
});

describe('templates and custom fields', () => {
  it('every template pre-fills a category, a severity and a checklist', () => {
    for (const t of Object.values(TEMPLATES)) {
      expect(t.tasks.length).toBeGreaterThan(2);
      expect(t.tags.length).toBeGreaterThan(0);
    }
    expect(Object.keys(TEMPLATES)).toHaveLength(7);
  });

  const defs: CustomFieldDef[] = [
    { name: 'ransom_amount', type: 'number', required: false },
    { name: 'strain', type: 'select', options: ['lockbit', 'akira'], required: true },
    { name: 'paid', type: 'boolean', required: false },
    { name: 'encrypted_on', type: 'date', required: false },
  ];
  it.each([
    [{ ransom_amount: 'a lot' }, 'ransom_amount'],
    [{ strain: 'conti' }, 'strain'],
    [{ paid: 'yes' }, 'paid'],
    [{ encrypted_on: 'yesterday' }, 'encrypted_on'],
    [{ unknown_field: 1 }, 'unknown_field'],
    [{ strain: null }, 'strain'],
  ])('refuses %j naming %s', (values, field) => {
    const r = validateCustomFields(defs, values, { ...values });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe(field);
  });
  it('accepts valid values', () => {
    const values = { strain: 'akira', ransom_amount: 5, paid: false, encrypted_on: '2026-03-01' };
    expect(validateCustomFields(defs, values, values).ok).toBe(true);
  });
});
