/**
 * Per-incident effectiveness, a pure function over the incident's times and timeline: time to
 * detect (occurred → detected), acknowledge (opened → the status first leaves `new`), contain
 * (opened → contained) and resolve (opened → resolved), each against the SLA policy
 * (acknowledge: the response window, resolve: the resolution window) and the organisation's
 * targets; the playbook steps automation ran (dry runs excluded) and the analyst time they saved
 * by a configurable estimate per action type; and the approval waits.
 *
 * Defaults (EFFECTIVENESS_TARGETS, documented in README): detect as the review's targets
 * (S1 1 h … S4/S5 72 h), contain S1 2 h, S2 8 h, S3 48 h, S4/S5 7 days; 10 minutes saved per
 * automated step, more for actions that take an analyst longer by hand (SAVED_MINUTES).
 */
import type { IncidentMeta, Severity, TimelineEntry } from './incident-schema.ts';
import { REVIEW_TARGETS, approvalWaits } from './review-suggestions.ts';
import type { SlaPolicy } from './sla.ts';
import { payloadOf } from './timeline-payloads.ts';

export const EFFECTIVENESS_TARGETS = {
  detectMinutes: REVIEW_TARGETS.detectMinutes,
  containMinutes: { S1: 120, S2: 480, S3: 2_880, S4: 10_080, S5: 10_080 } as Record<Severity, number>,
} as const;

/** Analyst minutes one automated step of an action type saves (`default` for any other). */
export const SAVED_MINUTES: Readonly<Record<string, number>> = {
  default: 10,
  'edr.isolate_host': 20,
  'idp.disable_user': 15,
  'firewall.block_ip': 15,
  'mail.purge_message': 30,
};

export interface Measure {
  /** Minutes, or null when a time is missing. */
  minutes: number | null;
  /** The SLA window it is held to (null: the SLA has none for it). */
  slaMinutes: number | null;
  targetMinutes: number | null;
  /** Within the SLA and the target (null: not measurable or nothing to compare with). */
  met: boolean | null;
}

export interface Effectiveness {
  detect: Measure;
  acknowledge: Measure;
  contain: Measure;
  resolve: Measure;
  automation: { stepsRun: number; savedMinutes: number };
  approvals: { count: number; longestMinutes: number; totalMinutes: number };
}

const span = (from: string | null, to: string | null): number | null => (from && to ? (Date.parse(to) - Date.parse(from)) / 60_000 : null);
function measure(minutes: number | null, slaMinutes: number | null, targetMinutes: number | null): Measure {
  const limits = [slaMinutes, targetMinutes].filter((x): x is number => x !== null);
  return { minutes, slaMinutes, targetMinutes, met: minutes === null || limits.length === 0 ? null : limits.every((l) => minutes <= l) };
}

export function incidentEffectiveness(input: {
  meta: Pick<IncidentMeta, 'severity' | 'createdAt' | 'occurredAt' | 'detectedAt' | 'containedAt' | 'resolvedAt'>;
  timeline: readonly TimelineEntry[];
  policy: SlaPolicy;
  savedMinutes?: Readonly<Record<string, number>>;
}): Effectiveness {
  const { meta } = input;
  const timeline = input.timeline.filter((e) => !e.deleted);
  const saved = input.savedMinutes ?? SAVED_MINUTES;
  const sla = input.policy.severity[meta.severity];
  let acknowledgedAt: string | null = null;
  let stepsRun = 0;
  let savedMinutes = 0;
  for (const e of timeline) {
    const status = payloadOf(e, 'status_change');
    if (status?.from === 'new' && (acknowledgedAt === null || Date.parse(e.at) < Date.parse(acknowledgedAt))) acknowledgedAt = e.at;
    const auto = payloadOf(e, 'automation');
    if (!auto || auto.dry_run === true) continue;
    for (const step of auto.steps ?? []) {
      if (step.state !== 'succeeded') continue;
      stepsRun++;
      const action = typeof step['action'] === 'string' ? step['action'] : 'default';
      savedMinutes += saved[action] ?? saved['default'] ?? 0;
    }
  }
  const waits = approvalWaits(timeline);
  return {
    detect: measure(span(meta.occurredAt, meta.detectedAt), null, EFFECTIVENESS_TARGETS.detectMinutes[meta.severity]),
    acknowledge: measure(span(meta.createdAt, acknowledgedAt), sla.respondMinutes, null),
    contain: measure(span(meta.createdAt, meta.containedAt), null, EFFECTIVENESS_TARGETS.containMinutes[meta.severity]),
    resolve: measure(span(meta.createdAt, meta.resolvedAt), sla.resolveMinutes, null),
    automation: { stepsRun, savedMinutes },
    approvals: { count: waits.length, longestMinutes: Math.max(0, ...waits), totalMinutes: waits.reduce((a, b) => a + b, 0) },
  };
}
