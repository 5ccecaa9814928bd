/**
 * Opening an incident for a stored alert that had none, as ingestion would have: the alert's
 * title, severity and risk, its observables and assets, the alert as the first entry. Intel's
 * retrospective search calls it (through its port `OpenIncidentForAlert`, which server.ts fills
 * with this) when a new indicator hits an alert below the incident threshold. Stored alerts are
 * immutable, so the alert row keeps `incident_id` null; intel keeps the link in `intel_matches`.
 */
import type { AlertInput } from '../../shared/alerts-api.ts';
import { newId } from '../../shared/ids.ts';
import type { Risk, Severity } from '../../shared/incident-schema.ts';
import { ok } from '../../shared/result.ts';
import type { Sql } from '../db/connect.ts';
import type { OpenIncidentForAlert } from '../intel/matching.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import type { NewAlertRow } from './alert-store.ts';
import { writeDocuments, type Planned } from './incident-writer.ts';
import { alertAssets, alertObservables } from './normalize.ts';

/** An `alerts` row as Postgres returns it (times as dates). */
interface StoredAlertRow extends Omit<NewAlertRow, 'last_seen' | 'observed_at' | 'detected_at' | 'received_at'> {
  last_seen: Date;
  observed_at: Date | null;
  detected_at: Date;
  received_at: Date;
}

/** The incident id opened, or null when the alert does not exist or already has an incident. */
export function openIncidentForAlert(deps: { sql: Sql; docs: DocumentManager }): OpenIncidentForAlert {
  const { sql, docs } = deps;
  return async (alertId) => {
    const [a] = await sql<StoredAlertRow[]>`
      SELECT id, source, type, title, format, status, fingerprint, external_id, raw, normalized, score, severity, risk, count, last_seen,
             incident_id, entry_id, observed_at, detected_at, received_at
      FROM alerts WHERE id = ${alertId} AND incident_id IS NULL`;
    if (!a) return null;
    const alert = a.normalized as AlertInput;
    const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
    const row: NewAlertRow = {
      ...a,
      status: 'created',
      incident_id: newId(),
      entry_id: newId(),
      severity: a.severity as Severity,
      risk: a.risk as Risk,
      last_seen: a.last_seen.toISOString(),
      observed_at: iso(a.observed_at),
      detected_at: a.detected_at.toISOString(),
      received_at: a.received_at.toISOString(),
    };
    const planned: Planned = {
      item: { index: 0, raw: a.raw, format: a.format, alert: ok(alert) },
      alert,
      fp: a.fingerprint,
      observables: alertObservables(alert),
      assets: alertAssets(alert),
      risk: row.risk,
      row,
    };
    await writeDocuments(docs, [planned], [], new Date().toISOString());
    return row.incident_id;
  };
}
