/**
 * The triage queue computed on this device (offline fallback): open incidents from the local
 * index, each scored with shared/priority.ts using the shared SLA clock. Asset criticality lives
 * in the server's inventory, so offline it counts as unknown.
 */
import { priorityScore, type PriorityFactor } from '../../shared/priority.ts';
import { DEFAULT_SLA_POLICY, slaFor, type SlaStatus } from '../../shared/sla.ts';
import type { Severity } from '../../shared/incident-schema.ts';
import type { Status } from '../../shared/workflow.ts';
import type { IncidentSummary } from '../local/incident-summary.ts';

export interface TriageRow {
  id: string;
  key: string | null;
  title: string;
  status: Status;
  severity: Severity;
  score: number;
  explanation: string;
  factors: PriorityFactor[];
  createdAt: string;
  resolvedAt: string | null;
  breach: IncidentSummary['breach'];
}

export function localQueue(rows: readonly IncidentSummary[], now: number): TriageRow[] {
  const out: TriageRow[] = [];
  for (const r of rows) {
    if (r.status === 'closed') continue;
    const sla: SlaStatus = slaFor(
      { severity: r.severity, status: r.status, createdAt: r.createdAt, resolvedAt: r.resolvedAt ?? null, breach: r.breach ?? null },
      DEFAULT_SLA_POLICY,
      new Date(now),
    );
    const p = priorityScore({
      severity: r.severity,
      maxAssetCriticality: null,
      slaMinutesLeft: sla.minutes_left,
      ageMinutes: Math.max(0, (now - Date.parse(r.createdAt)) / 60_000),
    });
    out.push({
      id: r.id,
      key: r.key,
      title: r.title,
      status: r.status,
      severity: r.severity,
      score: p.score,
      explanation: p.explanation,
      factors: p.factors,
      createdAt: r.createdAt,
      resolvedAt: r.resolvedAt ?? null,
      breach: r.breach ?? null,
    });
  }
  // Highest priority first; ties: the older incident first (it has waited longer).
  return out.sort((a, b) => b.score - a.score || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}
