/**
 * Alert ingestion: validated alerts in, per-item results out. Under one transaction-level
 * advisory lock (so two requests or processes never both create an alert or an incident for the
 * same thing) it looks up assets, duplicates and correlating incidents with one query each,
 * decides per item (in order, so later items of a batch see earlier ones), stores the batch's
 * good alerts, repeat counters and observable index rows, appends one audit entry, and writes the
 * incident documents through the document manager (every connected device sees them live).
 *
 * Consistency: rows and documents are two stores. The documents are written inside the
 * transaction, after the inserts; a failure before commit rolls back every row of the batch (a
 * document change already made in memory cannot be undone, but it only mentions alert ids).
 */
import { SEVERITY_IMPACT, type AlertInput, type AlertRules, type IngestItemResult, type IngestResponse, type ItemStatus } from '../../shared/alerts-api.ts';
import { newId } from '../../shared/ids.ts';
import type { Risk } from '../../shared/incident-schema.ts';
import type { Result } from '../../shared/result.ts';
import { scoreAlert } from '../../shared/scoring.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditActor } from '../audit/audit-types.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import { lookupAssets } from '../assets/asset-store.ts';
import {
  countRepeats,
  findCorrelations,
  findDuplicates,
  indexObservables,
  insertAlerts,
  loadRules,
  type NewAlertRow,
  type ObservableHit,
  type StoredDuplicate,
} from './alert-store.ts';
import { alertAssets, alertObservables, fingerprint } from './normalize.ts';
import { writeDocuments, type Planned } from './incident-writer.ts';

/** Arbitrary constant: the advisory lock serialising alert ingestion across processes. */
const ALERT_LOCK = 0x5e47_a1e7;

export interface IngestDeps {
  sql: Sql;
  docs: DocumentManager;
  audit: AuditLog;
  logger: Logger;
  /** The clock (tests move it to cross dedup and correlation windows). */
  now: () => Date;
}

/** One item of a request: its payload as received and its native form (or why not). */
export interface IntakeItem {
  index: number;
  raw: unknown;
  format: string;
  alert: Result<AlertInput, string[]>;
}

/** The score's inputs from the alert and the inventory. */
function riskOf(a: AlertInput, assets: ReadonlyMap<string, { criticality: number; privileged: boolean; kind: string }>): Risk {
  let maxCrit: number | null = null;
  let critName: string | null = null;
  let privileged: string | null = null;
  const consider = (kind: 'host' | 'account', names: readonly string[] | undefined): void => {
    for (const n of names ?? []) {
      const name = n.trim().toLowerCase();
      const asset = assets.get(`${kind}:${name}`);
      if (!asset) continue;
      if (maxCrit === null || asset.criticality > maxCrit) {
        maxCrit = asset.criticality;
        critName = name;
      }
      if (kind === 'account' && asset.privileged && !privileged) privileged = name;
    }
  };
  consider('host', a.observables?.hosts);
  consider('account', a.observables?.accounts);
  return scoreAlert({
    impact: a.impact ?? (a.severity ? SEVERITY_IMPACT[a.severity] : 3),
    likelihood: a.likelihood ?? 3,
    confidence: a.confidence ?? 3,
    maxAssetCriticality: maxCrit,
    criticalAsset: critName,
    privilegedAccount: privileged,
  });
}

/** Correlation keys of an alert under the rules: `kind:value`, plus `asset:name` for hosts/accounts. */
function correlationKeys(p: Pick<Planned, 'observables'>, rules: AlertRules): string[] {
  const kinds = new Set<string>(rules.correlate_on);
  const keys: string[] = [];
  for (const o of p.observables) {
    if (!kinds.has(o.kind)) continue;
    keys.push(`${o.kind}:${o.value}`);
    if (o.kind === 'host' || o.kind === 'account') keys.push(`asset:${o.value}`);
  }
  return keys;
}

const splitKey = (k: string): { kind: string; value: string } => {
  const i = k.indexOf(':');
  return { kind: k.slice(0, i), value: k.slice(i + 1) };
};

export type Ingest = (items: readonly IntakeItem[], actor: AuditActor) => Promise<IngestResponse>;

/**
 * The ingestion entry point of one process. Requests run one at a time here before they take a
 * connection: a request waiting on the advisory lock inside its transaction would hold a pool
 * connection the lock holder may need to load documents (ten waiters would starve it). The
 * advisory lock then only serialises processes.
 */
export function createIngestor(deps: IngestDeps): Ingest {
  let tail: Promise<unknown> = Promise.resolve();
  return (items, actor) => {
    const run = tail.then(() => ingestAlerts(deps, items, actor));
    tail = run.catch(() => undefined);
    return run;
  };
}

export async function ingestAlerts(deps: IngestDeps, items: readonly IntakeItem[], actor: AuditActor): Promise<IngestResponse> {
  const results: IngestItemResult[] = items.map((it) => ({
    index: it.index,
    status: 'failed',
    alert_id: null,
    incident_id: null,
    score: null,
    errors: it.alert.ok ? [] : it.alert.error,
  }));
  const valid = items.filter((it): it is IntakeItem & { alert: { ok: true; value: AlertInput } } => it.alert.ok);
  if (valid.length > 0) await deps.sql.begin((tx) => storeBatch(deps, tx, valid, actor, results));
  const counts: Record<ItemStatus, number> = { created: 0, deduplicated: 0, correlated: 0, failed: 0 };
  for (const r of results) counts[r.status]++;
  return { items: results, counts };
}

async function storeBatch(
  deps: IngestDeps,
  tx: TransactionSql,
  valid: readonly (IntakeItem & { alert: { ok: true; value: AlertInput } })[],
  actor: AuditActor,
  results: IngestItemResult[],
): Promise<void> {
  const received = deps.now();
  const receivedIso = received.toISOString();
  const planned: Planned[] = valid.map((item) => {
    const alert = item.alert.value;
    return { item, alert, fp: fingerprint(alert), observables: alertObservables(alert), assets: alertAssets(alert), risk: null as unknown as Risk, row: null };
  });
  // Queries issued together are pipelined on the transaction's connection (fewer round trips
  // while the lock is held); Postgres runs them in order, so the lock comes first.
  const [, rules, assetRows] = await Promise.all([
    tx`SELECT pg_advisory_xact_lock(${ALERT_LOCK})`,
    loadRules(tx),
    lookupAssets(tx, [...new Set(planned.flatMap((p) => p.assets))]),
  ]);
  const assetMap = new Map(assetRows.map((a) => [`${a.kind}:${a.name}`, a]));
  for (const p of planned) p.risk = riskOf(p.alert, assetMap);

  // Duplicates and correlation candidates in one round trip (keys of every item: a superset).
  const keysOf = new Map(planned.map((p) => [p, correlationKeys(p, rules)]));
  const allKeys = [...new Set([...keysOf.values()].flat())];
  const [dups, hits] = await Promise.all([
    findDuplicates(tx, [...new Set(planned.map((p) => p.fp))], new Date(received.getTime() - rules.dedup_window_seconds * 1000)),
    findCorrelations(tx, allKeys.map(splitKey), new Date(received.getTime() - rules.correlation_window_seconds * 1000)),
  ]);
  const firstInBatch = new Map<string, Planned>();
  const repeats = new Map<string, { n: number; at: Date; stored: StoredDuplicate }>();
  const fresh: Planned[] = [];
  // Repeats of an alert earlier in this batch: their incident is known once correlation has run.
  const batchRepeats: [IngestItemResult, NewAlertRow][] = [];
  const resultOf = new Map(results.map((r) => [r.index, r]));
  for (const p of planned) {
    const result = resultOf.get(p.item.index) as IngestItemResult;
    const earlier = firstInBatch.get(p.fp);
    const stored = dups.get(p.fp);
    if (earlier?.row) {
      earlier.row.count++;
      Object.assign(result, { status: 'deduplicated', alert_id: earlier.row.id, score: earlier.risk.score });
      batchRepeats.push([result, earlier.row]);
    } else if (stored && rules.dedup_window_seconds > 0) {
      const r = repeats.get(stored.id) ?? { n: 0, at: received, stored };
      r.n++;
      repeats.set(stored.id, r);
      Object.assign(result, { status: 'deduplicated', alert_id: stored.id, incident_id: stored.incident_id, score: p.risk.score });
    } else {
      p.row = {
        id: newId(), source: p.alert.source, type: p.alert.type, title: p.alert.title, format: p.item.format, status: 'unlinked',
        fingerprint: p.fp, external_id: p.alert.external_id ?? null, raw: p.item.raw, normalized: p.alert, score: p.risk.score,
        severity: p.risk.severity, risk: p.risk, count: 1, last_seen: receivedIso, incident_id: null, entry_id: null,
        observed_at: p.alert.observed_at ?? null, detected_at: p.alert.detected_at ?? receivedIso, received_at: receivedIso,
      };
      firstInBatch.set(p.fp, p);
      fresh.push(p);
    }
  }

  // Correlation decisions in order: later items of the batch see the incidents of earlier ones.
  const hitsByKey = new Map<string, ObservableHit[]>();
  for (const h of hits) {
    const k = `${h.kind}:${h.value}`;
    hitsByKey.set(k, [...(hitsByKey.get(k) ?? []), h]);
  }
  const batchKeys = new Map<string, string>();
  const index: ObservableHit[] = [];
  for (const p of fresh) {
    const row = p.row as NewAlertRow;
    const score = new Map<string, { n: number; seen: number }>();
    const bump = (id: string, seen: number): void => {
      const s = score.get(id) ?? { n: 0, seen: 0 };
      score.set(id, { n: s.n + 1, seen: Math.max(s.seen, seen) });
    };
    const keys = keysOf.get(p) ?? [];
    for (const k of keys) {
      for (const h of hitsByKey.get(k) ?? []) bump(h.incident_id, h.last_seen.getTime());
      const inBatch = batchKeys.get(k);
      if (inBatch) bump(inBatch, received.getTime());
    }
    let best: string | null = null;
    let bestScore = { n: 0, seen: 0 };
    for (const [id, s] of score) {
      if (s.n > bestScore.n || (s.n === bestScore.n && s.seen > bestScore.seen)) {
        best = id;
        bestScore = s;
      }
    }
    if (best) {
      row.status = 'correlated';
      row.incident_id = best;
    } else if (p.risk.score >= rules.min_score_for_incident) {
      row.status = 'created';
      row.incident_id = newId();
    }
    if (row.incident_id) {
      row.entry_id = newId();
      for (const k of keys) batchKeys.set(k, row.incident_id);
      // Index every observable (not only the correlating kinds), so a rule change takes effect at once.
      for (const o of p.observables) {
        index.push({ kind: o.kind, value: o.value, incident_id: row.incident_id, last_seen: received });
        if (o.kind === 'host' || o.kind === 'account') index.push({ kind: 'asset', value: o.value, incident_id: row.incident_id, last_seen: received });
      }
    }
    const result = resultOf.get(p.item.index) as IngestItemResult;
    Object.assign(result, { status: row.status === 'unlinked' ? 'created' : row.status, alert_id: row.id, incident_id: row.incident_id, score: p.risk.score });
  }

  for (const [result, row] of batchRepeats) result.incident_id = row.incident_id;
  const rows = fresh.map((p) => p.row as NewAlertRow);
  const auditDetails = {
    alerts: rows.map((r) => ({ id: r.id, fingerprint: r.fingerprint, incident_id: r.incident_id })),
    repeats: [...repeats].map(([id, r]) => ({ id, n: r.n })),
  };
  await Promise.all([
    insertAlerts(tx, rows),
    countRepeats(tx, repeats),
    indexObservables(tx, dedupeIndex(index)),
    deps.audit.append([{ actor, action: 'alert.ingest', targetType: 'alert', details: auditDetails }], tx),
  ]);
  // Repeats of stored alerts: their timeline entry shows the new count (the lock makes it exact).
  const counted = [...repeats.values()].flatMap(({ n, stored }) =>
    stored.incident_id && stored.entry_id ? [{ incident_id: stored.incident_id, entry_id: stored.entry_id, count: stored.count + n }] : [],
  );
  await writeDocuments(deps.docs, fresh, counted, receivedIso);
}

function dedupeIndex(rows: readonly ObservableHit[]): ObservableHit[] {
  const m = new Map<string, ObservableHit>();
  for (const r of rows) m.set(`${r.kind}\u0000${r.value}\u0000${r.incident_id}`, r);
  return [...m.values()];
}
