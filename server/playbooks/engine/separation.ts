/**
 * Separation of duties for approval gates: who may not decide a run's gates, in one place for
 * the decision (engine.ts refuses with 403) and the approvals list (which tells each caller, so
 * the page does not offer them the buttons).
 *
 * - The run's starter never may (a manual run: the person who started it).
 * - An event-triggered run: the creator of its incident counts as the starter. Creating the
 *   incident is what started the run (incident.created, or an alert correlated into it), so a
 *   lead could otherwise open an incident, let its playbook start, and approve their own
 *   containment.
 *
 * The creator comes from the audit log, which is append-only and hash-chained: the first entry
 * that wrote the incident (`incident.create` from the REST API, or `incident.update` from the
 * first device that synced it), never the document's `createdBy`, which any device can write. An
 * incident the server opened from an alert has the system as its creator, and a webhook run has
 * the webhook as its starter (the sender, not the incident it names, started it): neither
 * excludes a person beyond these rules.
 */
import type postgres from 'postgres';
import type { Sql, TransactionSql } from '../../db/connect.ts';

export const APPROVER_EXCLUSIONS = {
  own_run: 'you started this run; someone else must approve it',
  own_incident: 'separation of duties: you created the incident whose event started this run; someone else must approve it',
} as const;
export type ApproverExclusion = keyof typeof APPROVER_EXCLUSIONS;

/** `kind:id` of a principal, as `playbook_runs.starter` and the audit log's actor record it. */
export const principalKey = (who: { kind: string; id: string }): string => `${who.kind}:${who.id}`;

/**
 * A SQL expression over `playbook_runs r`: why the principal `key` may not decide the run's
 * gates ('own_run', 'own_incident'), or NULL.
 */
export function exclusionOf(q: Sql | TransactionSql, key: string): postgres.PendingQuery<postgres.Row[]> {
  return q`CASE
    WHEN r.starter = ${key} THEN 'own_run'
    WHEN r.trigger = 'event' AND r.incident_id IS NOT NULL AND ${key} = (
      SELECT l.actor_kind || ':' || coalesce(l.actor_id, '') FROM audit_log l
      WHERE l.incident_id = r.incident_id::text AND l.action IN ('incident.create', 'incident.update')
      ORDER BY l.seq LIMIT 1) THEN 'own_incident'
  END`;
}
