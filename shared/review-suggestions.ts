/**
 * Suggested recommendations for the post-incident review: rules over the incident's own data
 * (its times, timeline entries and the SLA policy), not generated text. Each suggestion names the
 * figure that triggered it and the threshold it passed. A person accepts one as an action item
 * (shared addActionItem) or dismisses it; both are recorded in the document's top-level
 * `suggestions` map (rule id → who, when, what), so a decided suggestion does not come back,
 * offline too.
 *
 * Rules and their default thresholds (REVIEW_TARGETS):
 *  - detect_late: detected − occurred above the organisation's time-to-detect target for the
 *    severity (S1 1 h, S2 4 h, S3 24 h, S4/S5 72 h) → a detect item;
 *  - no_playbook: no playbook run (other than a dry run) in the timeline → a process item;
 *  - approval_wait: a playbook step waited for approval longer than 30 minutes → a process item;
 *  - sla_missed: the status left `new` after the SLA's response window, or the incident was
 *    resolved after its resolution window (shared/sla.ts policy) → a respond item;
 *  - evidence_late: evidence stored after the incident was contained → a respond item.
 */
import * as Y from 'yjs';
import type { ActionItem, IncidentMeta, Severity, TimelineEntry } from './incident-schema.ts';
import { LIMITS } from './incident-schema.ts';
import type { SlaPolicy } from './sla.ts';
import { payloadOf } from './timeline-payloads.ts';

export const SUGGESTION_RULES = ['detect_late', 'no_playbook', 'approval_wait', 'sla_missed', 'evidence_late'] as const;
export type SuggestionRule = (typeof SUGGESTION_RULES)[number];

/** The organisation's targets the rules compare with (documented defaults; there is no setting yet). */
export interface ReviewTargets {
  detectMinutes: Record<Severity, number>;
  approvalWaitMinutes: number;
}
export const REVIEW_TARGETS: ReviewTargets = {
  detectMinutes: { S1: 60, S2: 240, S3: 1_440, S4: 4_320, S5: 4_320 },
  approvalWaitMinutes: 30,
};

export interface Suggestion {
  rule: SuggestionRule;
  type: ActionItem['type'];
  /** The action item's title if accepted. */
  title: string;
  /** The figure that triggered it, as a sentence ("time to detect 5 h 0 min; target 4 h 0 min"). */
  figure: string;
  /** The measured value and the threshold, in minutes (counts for evidence_late). */
  value: number;
  threshold: number;
}

export interface SuggestionInput {
  meta: Pick<IncidentMeta, 'severity' | 'category' | 'createdAt' | 'occurredAt' | 'detectedAt' | 'containedAt' | 'resolvedAt'>;
  timeline: readonly TimelineEntry[];
  policy: SlaPolicy;
  targets?: ReviewTargets;
}

const minutes = (fromIso: string, toIso: string): number => (Date.parse(toIso) - Date.parse(fromIso)) / 60_000;
/** "5 h 3 min" / "42 min". */
export const formatMinutes = (m: number): string => {
  const r = Math.round(m);
  return r >= 60 ? `${Math.floor(r / 60)} h ${r % 60} min` : `${r} min`;
};

/** The longest approval wait of any playbook step in the timeline, in minutes (0: none). */
export function longestApprovalWait(timeline: readonly TimelineEntry[]): number {
  let longest = 0;
  for (const e of timeline) {
    const p = payloadOf(e, 'automation');
    for (const step of p?.steps ?? []) {
      const states = [...(step.history ?? []), { state: step.state, at: step.at }];
      states.forEach((s, i) => {
        if (s.state !== 'waiting_approval') return;
        const next = states.slice(i + 1).find((n) => n.state !== 'waiting_approval');
        if (next) longest = Math.max(longest, minutes(s.at, next.at));
      });
    }
  }
  return longest;
}

/** When the status first left `new` (the SLA's response), or null. */
function respondedAt(timeline: readonly TimelineEntry[]): string | null {
  let first: string | null = null;
  for (const e of timeline) {
    const p = payloadOf(e, 'status_change');
    if (p && p.from === 'new' && (first === null || Date.parse(e.at) < Date.parse(first))) first = e.at;
  }
  return first;
}

/** Every rule that fires for this incident, in the order of SUGGESTION_RULES. */
export function suggestRecommendations(input: SuggestionInput): Suggestion[] {
  const { meta, policy } = input;
  const timeline = input.timeline.filter((e) => !e.deleted);
  const targets = input.targets ?? REVIEW_TARGETS;
  const out: Suggestion[] = [];

  if (meta.occurredAt && meta.detectedAt) {
    const ttd = minutes(meta.occurredAt, meta.detectedAt);
    const target = targets.detectMinutes[meta.severity];
    if (ttd > target)
      out.push({
        rule: 'detect_late',
        type: 'detect',
        title: `Detect ${meta.category.replace(/_/g, ' ')} sooner (took ${formatMinutes(ttd)})`,
        figure: `time to detect ${formatMinutes(ttd)}; the ${meta.severity} target is ${formatMinutes(target)}`,
        value: ttd,
        threshold: target,
      });
  }

  const ran = timeline.some((e) => {
    const p = payloadOf(e, 'automation');
    return p !== null && p.run !== undefined && p.dry_run !== true;
  });
  if (!ran)
    out.push({
      rule: 'no_playbook',
      type: 'process',
      title: `Write or match a playbook for ${meta.category.replace(/_/g, ' ')} incidents`,
      figure: `no playbook ran for this ${meta.category.replace(/_/g, ' ')} incident`,
      value: 0,
      threshold: 1,
    });

  const wait = longestApprovalWait(timeline);
  if (wait > targets.approvalWaitMinutes)
    out.push({
      rule: 'approval_wait',
      type: 'process',
      title: 'Shorten the approval process for playbook steps',
      figure: `an approval waited ${formatMinutes(wait)}; the target is ${formatMinutes(targets.approvalWaitMinutes)}`,
      value: wait,
      threshold: targets.approvalWaitMinutes,
    });

  const sla = policy.severity[meta.severity];
  const responded = respondedAt(timeline);
  const responseTook = responded ? minutes(meta.createdAt, responded) : null;
  const resolveTook = meta.resolvedAt ? minutes(meta.createdAt, meta.resolvedAt) : null;
  if (responseTook !== null && responseTook > sla.respondMinutes)
    out.push({
      rule: 'sla_missed',
      type: 'respond',
      title: `Meet the ${meta.severity} response SLA`,
      figure: `response took ${formatMinutes(responseTook)}; the SLA is ${formatMinutes(sla.respondMinutes)}`,
      value: responseTook,
      threshold: sla.respondMinutes,
    });
  else if (resolveTook !== null && resolveTook > sla.resolveMinutes)
    out.push({
      rule: 'sla_missed',
      type: 'respond',
      title: `Meet the ${meta.severity} resolution SLA`,
      figure: `resolution took ${formatMinutes(resolveTook)}; the SLA is ${formatMinutes(sla.resolveMinutes)}`,
      value: resolveTook,
      threshold: sla.resolveMinutes,
    });

  if (meta.containedAt) {
    const contained = Date.parse(meta.containedAt);
    const late = timeline.filter((e) => e.kind === 'evidence' && Date.parse(e.at) > contained);
    if (late.length > 0)
      out.push({
        rule: 'evidence_late',
        type: 'respond',
        title: 'Collect evidence before containment',
        figure: `${late.length} evidence ${late.length === 1 ? 'item was' : 'items were'} collected after containment`,
        value: late.length,
        threshold: 0,
      });
  }
  return out;
}

/** A person's decision on a suggestion, kept in the document. */
export interface SuggestionDecision {
  decision: 'accepted' | 'dismissed';
  by: string;
  at: string;
  actionItemId: string | null;
}

const SUGGESTIONS_KEY = 'suggestions';

/** The decisions recorded in the document (unreadable values are skipped). */
export function readSuggestionDecisions(doc: Y.Doc): Map<SuggestionRule, SuggestionDecision> {
  const out = new Map<SuggestionRule, SuggestionDecision>();
  doc.getMap(SUGGESTIONS_KEY).forEach((v, k) => {
    if (!(SUGGESTION_RULES as readonly string[]).includes(k) || typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if ((o['decision'] !== 'accepted' && o['decision'] !== 'dismissed') || typeof o['by'] !== 'string' || typeof o['at'] !== 'string') return;
    out.set(k as SuggestionRule, {
      decision: o['decision'],
      by: o['by'].slice(0, LIMITS.shortText),
      at: o['at'],
      actionItemId: typeof o['actionItemId'] === 'string' ? o['actionItemId'] : null,
    });
  });
  return out;
}

/** Record that a suggestion was accepted (with its action item) or dismissed, by whom and when. */
export function decideSuggestion(
  doc: Y.Doc,
  rule: SuggestionRule,
  decision: SuggestionDecision['decision'],
  by: string,
  actionItemId: string | null = null,
  origin?: unknown,
): void {
  doc.transact(() => {
    doc.getMap(SUGGESTIONS_KEY).set(rule, { decision, by: by.slice(0, LIMITS.shortText), at: new Date().toISOString(), actionItemId });
  }, origin);
}

/** Call `onChange` after a decision changes (local or remote). */
export function observeSuggestionDecisions(doc: Y.Doc, onChange: () => void): () => void {
  const m = doc.getMap(SUGGESTIONS_KEY);
  const handler = (): void => onChange();
  m.observe(handler);
  return () => m.unobserve(handler);
}
