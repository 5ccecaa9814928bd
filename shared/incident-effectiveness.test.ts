import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from './incident-schema.ts';
import { EFFECTIVENESS_TARGETS, incidentEffectiveness, SAVED_MINUTES } from './incident-effectiveness.ts';
import { DEFAULT_SLA_POLICY } from './sla.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const entry = (kind: TimelineEntry['kind'], min: number, data: Record<string, unknown>): TimelineEntry => ({
  id: `e${min}`,
  at: at(min),
  createdAt: at(min),
  author: 'x',
  kind,
  text: '',
  data,
  deleted: false,
  editedAt: null,
  editedBy: null,
  deletedBy: null,
  deletedAt: null,
  evidence: [],
});
const step = (id: string, action: string | null, waitedFrom: number | null, doneAt: number): Record<string, unknown> => ({
  step_id: id,
  state: 'succeeded',
  text: '',
  at: at(doneAt),
  ...(action ? { action } : {}),
  ...(waitedFrom !== null ? { history: [{ state: 'waiting_approval', text: '', at: at(waitedFrom) }] } : {}),
});

describe('per-incident effectiveness', () => {
  const sla = DEFAULT_SLA_POLICY.severity.S2;
  const meta = {
    severity: 'S2' as const,
    createdAt: at(0),
    occurredAt: at(-60),
    detectedAt: at(0),
    containedAt: at(EFFECTIVENESS_TARGETS.containMinutes.S2 + 1),
    resolvedAt: at(sla.resolveMinutes),
  };
  const timeline = [
    entry('status_change', sla.respondMinutes + 5, { from: 'new', to: 'triage' }),
    entry('automation', 10, {
      run_id: 'r1',
      run: { step_id: null, state: 'succeeded', text: '', at: at(10) },
      steps: [step('a', 'edr.isolate_host', 10, 55), step('b', null, null, 56), { ...step('c', null, null, 57), state: 'failed' }],
    }),
    entry('automation', 20, {
      run_id: 'r2',
      dry_run: true,
      run: { step_id: null, state: 'succeeded', text: '', at: at(20) },
      steps: [step('d', null, null, 21)],
    }),
  ];
  const e = incidentEffectiveness({ meta, timeline, policy: DEFAULT_SLA_POLICY });

  it('measures detect, acknowledge, contain and resolve against the SLA and the targets', () => {
    expect(e.detect).toEqual({ minutes: 60, slaMinutes: null, targetMinutes: 240, met: true });
    expect(e.acknowledge).toMatchObject({ minutes: sla.respondMinutes + 5, slaMinutes: sla.respondMinutes, met: false });
    expect(e.contain).toMatchObject({ minutes: EFFECTIVENESS_TARGETS.containMinutes.S2 + 1, met: false });
    expect(e.resolve).toMatchObject({ minutes: sla.resolveMinutes, met: true });
  });

  it('counts succeeded automated steps of real runs and the analyst time they saved per action type', () => {
    expect(e.automation).toEqual({ stepsRun: 2, savedMinutes: (SAVED_MINUTES['edr.isolate_host'] ?? 0) + (SAVED_MINUTES['default'] ?? 0) });
    expect(incidentEffectiveness({ meta, timeline, policy: DEFAULT_SLA_POLICY, savedMinutes: { default: 1 } }).automation.savedMinutes).toBe(2);
  });

  it('reports approval waits', () => {
    expect(e.approvals).toEqual({ count: 1, longestMinutes: 45, totalMinutes: 45 });
  });

  it('leaves a measure open when a time is missing', () => {
    const open = incidentEffectiveness({ meta: { ...meta, occurredAt: null, resolvedAt: null }, timeline: [], policy: DEFAULT_SLA_POLICY });
    expect(open.detect.met).toBeNull();
    expect(open.resolve).toMatchObject({ minutes: null, met: null });
    expect(open.automation.stepsRun).toBe(0);
  });
});
