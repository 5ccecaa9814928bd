/**
 * Writes a batch's alerts into incident documents through the document manager (so every
 * connected device sees them live): creates the incidents the batch opens (title, severity from
 * the score, observables, assets, times, risk) and joins the others (observables and assets
 * added, severity and risk raised, never lowered), each alert as a timeline `alert` entry. One
 * Yjs transaction per incident per batch; up to DOC_CONCURRENCY documents at once.
 */
import { alertCategory } from './category.ts';
import type * as Y from 'yjs';
import type { AlertInput } from '../../shared/alerts-api.ts';
import {
  addAsset,
  addObservable,
  addTimelineEntry,
  createIncident,
  isIncidentDoc,
  readMeta,
  setFields,
  setEntryCount,
  setRisk,
  SERVER_ORIGIN,
} from '../../shared/incident-doc.ts';
import type { Observable, Risk } from '../../shared/incident-schema.ts';
import { moreSevere } from '../../shared/scoring.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import type { NewAlertRow } from './alert-store.ts';
import type { IntakeItem } from './ingest.ts';

const DOC_CONCURRENCY = 16;
export const INCIDENT_AUTHOR = 'sentpilot alerts';

/** One valid alert of a batch as ingestion planned it (row: null for a repeat). */
export interface Planned {
  item: IntakeItem;
  alert: AlertInput;
  fp: string;
  observables: Observable[];
  assets: string[];
  risk: Risk;
  row: NewAlertRow | null;
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const t = items[next++] as T;
      await fn(t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Write each incident's alerts into its document: create new ones, join existing ones. */
/** A stored alert seen again: its entry's new count. */
export interface EntryCount {
  incident_id: string;
  entry_id: string;
  count: number;
}

export async function writeDocuments(docs: DocumentManager, fresh: readonly Planned[], counts: readonly EntryCount[], receivedIso: string): Promise<void> {
  const byIncident = new Map<string, { alerts: Planned[]; counts: EntryCount[] }>();
  const groupOf = (id: string): { alerts: Planned[]; counts: EntryCount[] } => {
    let g = byIncident.get(id);
    if (!g) byIncident.set(id, (g = { alerts: [], counts: [] }));
    return g;
  };
  for (const p of fresh) if (p.row?.incident_id) groupOf(p.row.incident_id).alerts.push(p);
  for (const c of counts) groupOf(c.incident_id).counts.push(c);
  await eachLimited([...byIncident], DOC_CONCURRENCY, async ([id, group]) => {
    await docs.withDoc(id, (doc) =>
      doc.transact(() => {
        if (group.alerts.length) applyToIncident(doc, group.alerts, receivedIso);
        for (const c of group.counts) setEntryCount(doc, c.entry_id, c.count, SERVER_ORIGIN);
      }, SERVER_ORIGIN),
    );
  });
}

function applyToIncident(doc: Y.Doc, group: readonly Planned[], receivedIso: string): void {
  doc.transact(() => {
    const first = group[0] as Planned;
    const top = group.reduce((a, b) => (b.risk.score > a.risk.score ? b : a)).risk;
    // The first alert that suggests a category names the incident's (an analyst may change it).
    const category = group.map((p) => alertCategory(p.alert)).find((c) => c !== null) ?? null;
    if (!isIncidentDoc(doc) && first.row?.status === 'created') {
      createIncident(
        doc,
        {
          title: first.alert.title,
          description: first.alert.description ?? '',
          severity: top.severity,
          category: category ?? 'unclassified',
          observables: [...new Map(group.flatMap((p) => p.observables).map((o) => [`${o.kind}:${o.value}`, o])).values()],
          assets: [...new Set(group.flatMap((p) => p.assets))],
          occurredAt: first.alert.observed_at ?? null,
          detectedAt: first.alert.detected_at ?? receivedIso,
          tags: [...new Set(group.map((p) => p.alert.source.toLowerCase()))],
          risk: top,
          createdBy: INCIDENT_AUTHOR,
          now: receivedIso,
        },
        SERVER_ORIGIN,
      );
    } else {
      const meta = readMeta(doc);
      const have = new Set(meta.observables.map((o) => `${o.kind}:${o.value}`));
      const assets = new Set(meta.assets);
      for (const p of group) {
        for (const o of p.observables) if (!have.has(`${o.kind}:${o.value}`)) addObservable(doc, o, SERVER_ORIGIN);
        for (const a of p.assets) if (!assets.has(a)) addAsset(doc, a, SERVER_ORIGIN);
      }
      // Raise, never lower; a category only fills an unclassified incident.
      if (moreSevere(top.severity, meta.severity)) setFields(doc, { severity: top.severity }, INCIDENT_AUTHOR, SERVER_ORIGIN);
      if (category && meta.category === 'unclassified') setFields(doc, { category }, INCIDENT_AUTHOR, SERVER_ORIGIN);
      if (!meta.risk || top.score > meta.risk.score) setRisk(doc, top, SERVER_ORIGIN);
    }
    for (const p of group) {
      const row = p.row as NewAlertRow;
      addTimelineEntry(
        doc,
        {
          id: row.entry_id ?? undefined,
          kind: 'alert',
          text: p.alert.title,
          author: `alert:${p.alert.source}`.slice(0, 200),
          at: p.alert.observed_at ?? row.detected_at,
          data: { alert_id: row.id, source: row.source, type: row.type, score: row.score, observed_at: row.observed_at, count: row.count },
        },
        SERVER_ORIGIN,
      );
    }
  }, SERVER_ORIGIN);
}
