/**
 * Writes the engine's state changes where people see them: the run's one `automation` entry in
 * the incident document's timeline, updated in place (the run's state and each step's latest,
 * shared/incident-doc.ts `recordRunChanges`; live on every device), and one audit entry per change. The run and
 * step tables are the record of truth and are written first, in the engine's transactions.
 * Changes made in a transaction (starts, decisions, cancels, a run advancing or settling) are
 * audited inside it (`audited`), so a crash cannot keep the change and lose its audit entry; the
 * rest (a step's fast claim and plain success) and every timeline entry follow right after,
 * batched (one audit append and one document open per incident per flush) so a burst of steps
 * costs a few writes instead of one per step. Never holds secrets: the texts name steps,
 * states, people and error messages, not inputs.
 */
import { isIncidentDoc, recordRunChanges, SERVER_ORIGIN, type RunChange } from '../../../shared/incident-doc.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { AuditActor, AuditEvent } from '../../audit/audit-types.ts';
import type { Logger } from '../../logger.ts';
import type { DocumentManager } from '../../sync/document-types.ts';

export interface EngineEvent {
  incidentId: string | null;
  runId: string;
  stepId: string | null;
  /** Audit action, e.g. `playbook.step.succeeded`. */
  action: string;
  actor: AuditActor;
  /** The timeline text: "Playbook Brute force: step disable-account succeeded". */
  text: string;
  /** Timeline entry data (run_id, step_id, state, ...). */
  data: Record<string, unknown>;
  /** Already in the audit log (appended in the transaction that made the change). */
  audited?: boolean;
}

/** The audit entry of an engine event. */
export function auditEventOf(e: EngineEvent): AuditEvent {
  return { actor: e.actor, action: e.action, targetType: 'playbook_run', targetId: e.runId, incidentId: e.incidentId, details: { text: e.text, ...e.data } };
}

/** Keys of an event's data that name the run and step (the rest is the step's detail). */
const NAMING = new Set(['run_id', 'playbook_id', 'step_id', 'state', 'dry_run', 'item']);

/** An engine event as a change of its run's timeline entry. */
function runChangeOf(e: EngineEvent): RunChange {
  const detail: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.data)) if (!NAMING.has(k)) detail[k] = v;
  const item = e.data['item'];
  return {
    stepId: e.stepId,
    ...(typeof item === 'number' ? { item } : {}),
    state: typeof e.data['state'] === 'string' ? e.data['state'] : 'unknown',
    text: e.text,
    author: e.actor.name,
    data: { run_id: e.runId, playbook_id: e.data['playbook_id'] ?? null, dry_run: e.data['dry_run'] === true },
    detail,
  };
}

export interface Recorder {
  record(events: EngineEvent[]): void;
  /** Write everything recorded so far. */
  flush(): Promise<void>;
}

export function createRecorder(deps: { docs: DocumentManager; audit: AuditLog; logger: Logger; delayMs?: number }): Recorder {
  const { docs, audit, logger } = deps;
  const delayMs = deps.delayMs ?? 50;
  let pending: EngineEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  async function write(batch: EngineEvent[]): Promise<void> {
    try {
      const unaudited = batch.filter((e) => !e.audited);
      if (unaudited.length > 0) await audit.append(unaudited.map(auditEventOf));
    } catch (e) {
      logger.error({ err: e }, 'playbook audit append failed');
    }
    const byIncident = new Map<string, EngineEvent[]>();
    for (const e of batch) if (e.incidentId) byIncident.set(e.incidentId, [...(byIncident.get(e.incidentId) ?? []), e]);
    for (const [id, events] of byIncident) {
      try {
        await docs.withDoc(id, (doc) => {
          if (!isIncidentDoc(doc)) return;
          const byRun = new Map<string, RunChange[]>();
          for (const e of events) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), runChangeOf(e)]);
          doc.transact(() => {
            for (const [runId, changes] of byRun) recordRunChanges(doc, runId, changes, SERVER_ORIGIN);
          }, SERVER_ORIGIN);
        });
      } catch (e) {
        logger.error({ err: e, incident: id }, 'playbook timeline write failed');
      }
    }
  }

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      const batch = pending;
      pending = [];
      writing = writing.then(() => write(batch));
    }, delayMs);
  }

  return {
    record(events) {
      if (events.length === 0) return;
      pending.push(...events);
      schedule();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      const batch = pending;
      pending = [];
      writing = writing.then(() => write(batch));
      await writing;
    },
  };
}
