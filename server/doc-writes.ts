/**
 * The kinds of change a transaction may record in the document outbox (server/sync/doc-outbox.ts),
 * each with the capability's idempotent handler. One table, so every process applies every kind.
 */
import { ALERT_WRITE_KIND, applyAlertWrite } from './alerts/incident-writer.ts';
import { applyEvidenceWrite, EVIDENCE_WRITE_KIND } from './evidence/evidence-service.ts';
import { applyMatchWrite, MATCH_WRITE_KIND } from './intel/matching.ts';
import type { OutboxHandler } from './sync/doc-outbox.ts';

export const DOC_WRITE_HANDLERS: Readonly<Record<string, OutboxHandler>> = {
  [ALERT_WRITE_KIND]: applyAlertWrite,
  [MATCH_WRITE_KIND]: applyMatchWrite,
  [EVIDENCE_WRITE_KIND]: applyEvidenceWrite,
};
