/**
 * What a batch of alerts writes into incident documents: it creates the incidents the batch
 * opens (title, severity from the score, observables, assets, times, risk) and joins the others
 * (observables and assets added, severity and risk raised, never lowered), each alert as a
 * timeline `alert` entry.
 *
 * Ingestion decides these writes inside its transaction and records them in the document outbox
 * (server/sync/doc-outbox.ts) as plain JSON, one `AlertDocWrite` per incident; `applyAlertWrite`
 * is the outbox handler. It is idempotent — an entry whose id is there is not added again,
 * counts and severity only rise — so the sweeper may apply a row twice.
 */
import type * as Y from 'yjs';
import { alertCategory } from './category.ts';
import type { AlertInput } from '../../shared/alerts-api.ts';
import {
  addAsset,
  addObservable,
  addTimelineEntry,
  createIncident,
  hasTimelineEntry,
  isIncidentDoc,
  readMeta,
  setFields,
  setEntryCount,
  setRisk,
  SERVER_ORIGIN,
} from '../../shared/incident-doc.ts';
import type { Category, Observable, Risk } from '../../shared/incident-schema.ts';
import { moreSevere } from '../../shared/scoring.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import type { OutboxItem } from '../sync/doc-outbox.ts';
import type { NewAlertRow } from './alert-store.ts';
import type { IntakeItem } from './ingest.ts';

const INCIDENT_AUTHOR = 'sentpilot alerts';
/** The outbox kind of an AlertDocWrite. */
export const ALERT_WRITE_KIND = 'alerts';

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

/** A stored alert seen again: its entry's new count. */
export interface EntryCount {
  incident_id: string;
  entry_id: string;
  count: number;
}

/** One alert as its incident's document needs it. */
interface AlertInDoc {
  status: NewAlertRow['status'];
  entryId: string;
  alertId: string;
  title: string;
  description: string;
  source: string;
  type: string;
  score: number;
  count: number;
  observedAt: string | null;
  detectedAt: string;
  risk: Risk;
  category: Category | null;
  observables: Observable[];
  assets: string[];
}

/** Everything one batch writes into one incident's document (JSON: it is stored in the outbox). */
export interface AlertDocWrite {
  receivedIso: string;
  alerts: AlertInDoc[];
  counts: { entryId: string; count: number }[];
}

/** The batch's writes, one outbox item per incident. */
export function alertDocWrites(fresh: readonly Planned[], counts: readonly EntryCount[], receivedIso: string): OutboxItem[] {
  const byIncident = new Map<string, AlertDocWrite>();
  const groupOf = (id: string): AlertDocWrite => {
    let g = byIncident.get(id);
    if (!g) byIncident.set(id, (g = { receivedIso, alerts: [], counts: [] }));
    return g;
  };
  for (const p of fresh) {
    const row = p.row;
    if (!row?.incident_id || !row.entry_id) continue;
    groupOf(row.incident_id).alerts.push({
      status: row.status,
      entryId: row.entry_id,
      alertId: row.id,
      title: p.alert.title,
      description: p.alert.description ?? '',
      source: row.source,
      type: row.type,
      score: row.score,
      count: row.count,
      observedAt: row.observed_at,
      detectedAt: row.detected_at,
      risk: p.risk,
      category: alertCategory(p.alert),
      observables: p.observables,
      assets: p.assets,
    });
  }
  for (const c of counts) groupOf(c.incident_id).counts.push({ entryId: c.entry_id, count: c.count });
  return [...byIncident].map(([docId, payload]) => ({ docId, kind: ALERT_WRITE_KIND, payload }));
}

/** The outbox handler: apply one batch's alerts to one incident document. */
export function applyAlertWrite(doc: Y.Doc, payload: unknown): 'done' | 'later' {
  const w = payload as AlertDocWrite;
  const group = w.alerts;
  const first = group[0];
  if (!isIncidentDoc(doc)) {
    // Joining an incident whose creating write (another batch, maybe another process) has not
    // been applied yet: wait for it rather than write into an empty document.
    if (!first || first.status !== 'created') return 'later';
    const top = group.reduce((a, b) => (b.risk.score > a.risk.score ? b : a)).risk;
    createIncident(
      doc,
      {
        title: first.title,
        description: first.description,
        severity: top.severity,
        category: group.map((a) => a.category).find((c) => c !== null) ?? 'unclassified',
        observables: [...new Map(group.flatMap((a) => a.observables).map((o) => [`${o.kind}:${o.value}`, o])).values()],
        assets: [...new Set(group.flatMap((a) => a.assets))],
        occurredAt: first.observedAt,
        detectedAt: first.detectedAt,
        tags: [...new Set(group.map((a) => a.source.toLowerCase()))],
        risk: top,
        createdBy: INCIDENT_AUTHOR,
        now: w.receivedIso,
      },
      SERVER_ORIGIN,
    );
  } else if (group.length > 0) {
    const top = group.reduce((a, b) => (b.risk.score > a.risk.score ? b : a)).risk;
    // The first alert that suggests a category names the incident's (an analyst may change it).
    const category = group.map((a) => a.category).find((c) => c !== null) ?? null;
    const meta = readMeta(doc);
    const have = new Set(meta.observables.map((o) => `${o.kind}:${o.value}`));
    const assets = new Set(meta.assets);
    for (const a of group) {
      for (const o of a.observables) if (!have.has(`${o.kind}:${o.value}`)) addObservable(doc, o, SERVER_ORIGIN);
      for (const asset of a.assets) if (!assets.has(asset)) addAsset(doc, asset, SERVER_ORIGIN);
    }
    // Raise, never lower; a category only fills an unclassified incident.
    if (moreSevere(top.severity, meta.severity)) setFields(doc, { severity: top.severity }, INCIDENT_AUTHOR, SERVER_ORIGIN);
    if (category && meta.category === 'unclassified') setFields(doc, { category }, INCIDENT_AUTHOR, SERVER_ORIGIN);
    if (!meta.risk || top.score > meta.risk.score) setRisk(doc, top, SERVER_ORIGIN);
  }
  for (const a of group) {
    if (hasTimelineEntry(doc, a.entryId)) {
      setEntryCount(doc, a.entryId, a.count, SERVER_ORIGIN);
      continue;
    }
    addTimelineEntry(
      doc,
      {
        id: a.entryId,
        kind: 'alert',
        text: a.title,
        author: `alert:${a.source}`.slice(0, 200),
        at: a.observedAt ?? a.detectedAt,
        data: { alert_id: a.alertId, source: a.source, type: a.type, score: a.score, observed_at: a.observedAt, count: a.count },
      },
      SERVER_ORIGIN,
    );
  }
  for (const c of w.counts) setEntryCount(doc, c.entryId, c.count, SERVER_ORIGIN);
  return 'done';
}

/** Write alerts into their documents directly (callers outside a transaction: no lock is held). */
export async function writeDocuments(docs: DocumentManager, fresh: readonly Planned[], counts: readonly EntryCount[], receivedIso: string): Promise<void> {
  for (const item of alertDocWrites(fresh, counts, receivedIso)) {
    await docs.withDoc(item.docId, (doc) => doc.transact(() => applyAlertWrite(doc, item.payload), SERVER_ORIGIN));
  }
}
