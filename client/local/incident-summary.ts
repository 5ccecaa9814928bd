/**
 * The local index row of one incident: the few fields the list shows, filters and sorts on,
 * derived from the document so the list reads thousands of incidents without loading any doc.
 * It is written after every change of an open document, so it never validates the timeline: the
 * entries are counted by reference (`timelineOrder`, a few map reads each), which keeps a
 * 10,000-entry incident's summary to a few milliseconds instead of a long task per edit. The
 * timeline's problems are found on the incident page, in idle time (incident-state.ts).
 */
import type * as Y from 'yjs';
import { isIncidentDoc, readMeta, readTasks, timelineOrder } from '../../shared/incident-doc.ts';
import type { Breach, Category, Priority, Severity, Tlp } from '../../shared/incident-schema.ts';
import type { Status } from '../../shared/workflow.ts';

export interface IncidentSummary {
  id: string;
  /** Human key from the server; null while pending. */
  key: string | null;
  title: string;
  status: Status;
  severity: Severity;
  priority: Priority;
  category: Category;
  tlp: Tlp;
  assignee: string | null;
  reporter: string | null;
  tags: string[];
  assets: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  timelineCount: number;
  openTasks: number;
  totalTasks: number;
  /** How many fields or tasks failed validation when the document was read (the timeline is not validated here). */
  problemCount: number;
  /** For the SLA and breach clocks on the list (absent on rows written before they existed). */
  resolvedAt?: string | null;
  breach?: Breach | null;
}

/**
 * Summarise a document; null when it holds no incident yet. `id` is the document's id as the
 * device knows it, never the id written inside the document (which a hostile peer controls).
 */
export function summarizeDoc(id: string, doc: Y.Doc): IncidentSummary | null {
  if (!isIncidentDoc(doc)) return null;
  const problems: string[] = [];
  const meta = readMeta(doc, problems);
  const tasks = readTasks(doc, problems);
  let timelineCount = 0;
  for (const ref of timelineOrder(doc)) if (!ref.deleted) timelineCount++;
  const liveTasks = tasks.filter((t) => !t.deleted);
  return {
    id,
    key: meta.key,
    title: meta.title,
    status: meta.status,
    severity: meta.severity,
    priority: meta.priority,
    category: meta.category,
    tlp: meta.tlp,
    assignee: meta.assignee,
    reporter: meta.reporter,
    tags: meta.tags,
    assets: meta.assets,
    createdAt: meta.createdAt,
    createdBy: meta.createdBy,
    updatedAt: meta.updatedAt,
    timelineCount,
    openTasks: liveTasks.filter((t) => !t.done).length,
    totalTasks: liveTasks.length,
    problemCount: problems.length,
    resolvedAt: meta.resolvedAt,
    breach: meta.breach,
  };
}
