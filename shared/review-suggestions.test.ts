import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { TimelineEntry } from './incident-schema.ts';
import { DEFAULT_SLA_POLICY } from './sla.ts';
import { decideSuggestion, readSuggestionDecisions, REVIEW_TARGETS, suggestRecommendations, type SuggestionInput } from './review-suggestions.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const entry = (kind: TimelineEntry['kind'], min: number, data: Record<string, unknown> | null = null): TimelineEntry => ({
  id: `e${min}${kind}`,
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
const run = (min: number, waitMin: number): TimelineEntry =>
  entry('automation', min, {
    run_id: 'r1',
    run: { step_id: null, state: 'succeeded', text: '', at: at(min) },
    steps: [{ step_id: 's1', state: 'succeeded', text: '', at: at(min + waitMin), history: [{ state: 'waiting_approval', text: '', at: at(min) }] }],
  });

/** An S2 incident that keeps every rule: detected in 4 h, responded in 30 min, a playbook ran with a 30 min approval, evidence before containment. */
function base(): SuggestionInput {
  return {
    meta: { severity: 'S2', category: 'malware', createdAt: at(0), occurredAt: at(-240), detectedAt: at(0), containedAt: at(100), resolvedAt: at(600) },
    timeline: [
      entry('status_change', DEFAULT_SLA_POLICY.severity.S2.respondMinutes, { from: 'new', to: 'triage' }),
      run(40, 30),
      entry('evidence', 90, { evidence_id: 'ev1' }),
    ],
    policy: DEFAULT_SLA_POLICY,
  };
}
const rules = (i: SuggestionInput): string[] => suggestRecommendations(i).map((s) => s.rule);

describe('suggested recommendations', () => {
  it('suggests nothing when every figure is at its threshold', () => {
    expect(REVIEW_TARGETS.detectMinutes.S2).toBe(240);
    expect(rules(base())).toEqual([]);
  });

  it('detect_late: time to detect one minute over the target → a detect item naming the figure', () => {
    const i = base();
    i.meta.occurredAt = at(-241);
    const [s] = suggestRecommendations(i);
    expect(s).toMatchObject({ rule: 'detect_late', type: 'detect', value: 241, threshold: 240 });
    expect(s?.figure).toBe('time to detect 4 h 1 min; the S2 target is 4 h 0 min');
  });

  it('no_playbook: no playbook ran (a dry run does not count) → a process item', () => {
    const i = base();
    i.timeline = i.timeline.map((e) => (e.kind === 'automation' ? { ...e, data: { ...e.data, dry_run: true } } : e));
    expect(rules(i)).toEqual(['no_playbook']);
    expect(suggestRecommendations(i)[0]).toMatchObject({ type: 'process', figure: 'no playbook ran for this malware incident' });
  });

  it('approval_wait: an approval waiting 31 minutes (target 30) → a process item', () => {
    const i = base();
    i.timeline = [i.timeline[0]!, run(40, 31), i.timeline[2]!];
    expect(suggestRecommendations(i)).toMatchObject([{ rule: 'approval_wait', value: 31, threshold: 30 }]);
  });

  it('sla_missed: a response after the SLA window, or a resolution after its window → a respond item', () => {
    const i = base();
    const respond = DEFAULT_SLA_POLICY.severity.S2.respondMinutes;
    i.timeline = [entry('status_change', respond + 1, { from: 'new', to: 'triage' }), ...i.timeline.slice(1)];
    expect(suggestRecommendations(i)).toMatchObject([{ rule: 'sla_missed', type: 'respond', value: respond + 1, threshold: respond }]);
    const j = base();
    const resolve = DEFAULT_SLA_POLICY.severity.S2.resolveMinutes;
    j.meta.resolvedAt = at(resolve);
    expect(rules(j)).toEqual([]);
    j.meta.resolvedAt = at(resolve + 1);
    expect(suggestRecommendations(j)).toMatchObject([{ rule: 'sla_missed', value: resolve + 1 }]);
  });

  it('evidence_late: evidence collected after containment → a respond item counting the items', () => {
    const i = base();
    i.timeline = [...i.timeline, entry('evidence', 100, { evidence_id: 'ev2' }), entry('evidence', 101, { evidence_id: 'ev3' })];
    expect(suggestRecommendations(i)).toMatchObject([{ rule: 'evidence_late', value: 1, figure: '1 evidence item was collected after containment' }]);
  });

  it('records who dismissed or accepted a suggestion in the document, and merges from another device', () => {
    const a = new Y.Doc();
    decideSuggestion(a, 'detect_late', 'dismissed', 'ana');
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readSuggestionDecisions(b).get('detect_late')).toMatchObject({ decision: 'dismissed', by: 'ana', actionItemId: null });
    b.getMap('suggestions').set('no_playbook', 'garbage');
    expect([...readSuggestionDecisions(b).keys()]).toEqual(['detect_late']);
  });
});
