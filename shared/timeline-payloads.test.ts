import { describe, expect, it } from 'vitest';
import { checkPayload, payloadOf, readPayload } from './timeline-payloads.ts';

describe('timeline payloads', () => {
  it("types each kind's payload and keeps fields a newer writer added", () => {
    const r = readPayload({ kind: 'alert', data: { alert_id: 'a1', score: 71.5, count: 3, rule_name: 'kept' } });
    expect(r).toEqual({ ok: true, payload: { kind: 'alert', data: { alert_id: 'a1', score: 71.5, count: 3, rule_name: 'kept' } } });
    expect(payloadOf({ kind: 'status_change', data: { from: 'triage', to: 'closed', resolution: 'false_positive' } }, 'status_change')?.resolution).toBe(
      'false_positive',
    );
    expect(payloadOf({ kind: 'note', data: null }, 'alert')).toBeNull();
  });

  it('says why a payload does not parse, so the entry is shown as written with a warning', () => {
    const r = readPayload({ kind: 'evidence', data: { file_name: 'mem.raw' } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toMatch(/^data\.evidence_id: /);
    expect(checkPayload('status_change', { from: 'triage', to: 'closed', resolution: 'maybe' }).ok).toBe(false);
    expect(checkPayload('system', null).ok).toBe(true);
  });
});
