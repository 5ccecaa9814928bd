/**
 * The last playbooks and runs the server showed for an incident, kept in the device's `kv`
 * table so the panel still lists them offline (a run can be requested offline only if the
 * device knows which playbooks apply). Read back through the shared schemas: a stale or
 * damaged value is ignored, never trusted.
 */
import { z } from 'zod';
import { runSchema, workflowSummarySchema, type Run, type WorkflowSummary } from '../../../shared/playbooks-api.ts';
import type { SentpilotDb } from '../../local/db.ts';

const cachedWorkflows = z.object({ at: z.string(), items: z.array(workflowSummarySchema) });
const cachedRuns = z.object({ at: z.string(), items: z.array(runSchema) });

export interface Cached<T> {
  at: string;
  items: T[];
}

const workflowsKey = (incidentId: string): string => `playbooks.workflows.${incidentId}`;
const runsKey = (incidentId: string): string => `playbooks.runs.${incidentId}`;

async function load<T>(db: SentpilotDb, key: string, schema: z.ZodType<Cached<T>>): Promise<Cached<T> | null> {
  const row = await db.kv.get(key);
  const parsed = schema.safeParse(row?.value);
  return parsed.success ? parsed.data : null;
}

export const loadCachedWorkflows = (db: SentpilotDb, incidentId: string): Promise<Cached<WorkflowSummary> | null> =>
  load(db, workflowsKey(incidentId), cachedWorkflows);
export const loadCachedRuns = (db: SentpilotDb, incidentId: string): Promise<Cached<Run> | null> => load(db, runsKey(incidentId), cachedRuns);

export async function saveCachedWorkflows(db: SentpilotDb, incidentId: string, value: Cached<WorkflowSummary>): Promise<void> {
  await db.kv.put({ key: workflowsKey(incidentId), value });
}

export async function saveCachedRuns(db: SentpilotDb, incidentId: string, value: Cached<Run>): Promise<void> {
  await db.kv.put({ key: runsKey(incidentId), value });
}
