// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { STATUSES, TRANSITIONS, STATUS_PHASE, transition, allowedTransitions, isStatus, isOpen } from './workflow.ts';

describe('workflow', () => {
  it('walks the NIST SP 800-61 path from new to closed', () => {
    const path = ['new', 'triage', 'containment', 'eradication', 'recovery', 'post_incident', 'closed'] as const;
    for (let i = 1; i < path.length; i++) {
      const r = transition(path[i - 1]!, path[i]!);
      expect(r.ok, `${path[i - 1]} → ${path[i]}`).toBe(true);
    }
  });

  it('refuses a transition from closed to containment and names the allowed ones', () => {
    const r = transition('closed', 'containment');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('not_allowed');
    expect(r.error.allowed).toEqual(['triage']);
    expect(r.error.message).toContain('triage');
  });

  it('refuses skipping containment from new straight to recovery', () => {
    expect(transition('new', 'recovery').ok).toBe(false);
  });

  it('refuses a transition to the same status', () => {
    const r = transition('containment', 'containment');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('same_status');
  });

  it('stamps contained, resolved and closed milestones on the way', () => {
    const toErad = transition('containment', 'eradication');
    expect(toErad.ok && toErad.value.milestones).toEqual(['containedAt']);
    const toClosed = transition('post_incident', 'closed');
    expect(toClosed.ok && toClosed.value.milestones).toEqual(['containedAt', 'resolvedAt', 'closedAt']);
  });

  it('reopening a closed incident clears closedAt and goes back to triage', () => {
    const r = transition('closed', 'triage');
    expect(r.ok && r.value.clears).toEqual(['closedAt']);
  });

  it('allows stepping back from containment to analysis when new evidence appears', () => {
    expect(transition('containment', 'triage').ok).toBe(true);
    expect(transition('recovery', 'containment').ok).toBe(true);
  });

  it('every status has transitions, a phase, and only known targets', () => {
    for (const s of STATUSES) {
      expect(allowedTransitions(s).length).toBeGreaterThan(0);
      expect(STATUS_PHASE[s]).toBeTruthy();
      for (const t of TRANSITIONS[s]) expect(isStatus(t)).toBe(true);
    }
    expect(isStatus('pwned')).toBe(false);
    expect(isOpen('closed')).toBe(false);
    expect(isOpen('recovery')).toBe(true);
  });
});
