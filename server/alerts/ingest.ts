/**
 * Alert ingestion: validated alerts in, per-item results out. Under one transaction-level
 * advisory lock (so two requests or processes never both create an alert or an incident for the
 * same thing) it looks up assets, duplicates and correlating incidents with one query each,
 * decides per item (in order, so later items of a batch see earlier ones), stores the batch's
 * good alerts, repeat counters and observable index rows, records what the incident documents
 * must get in the document outbox, and appends one audit entry last (the audit chain's lock is
 * then held for one INSERT and the commit). After the commit the outbox writes the documents
 * through the document manager (every connected device sees them live).
 *
 * Consistency: rows and documents are two stores. Nothing inside the transaction loads a
 * document: a lock holder waiting for a pool connection while other requests hold every
 * connection waiting for its lock wedged the whole server. The outbox row commits with the
 * alerts, so a crash before the documents are written loses nothing (its sweeper applies it),
 * and a rolled-back batch writes nothing anywhere.
 */
import { MAX_ALERTS_PER_BATCH, type AlertInput, type IngestItemResult, type IngestResponse, type ItemStatus } from '../../shared/alerts-api.ts';
import { newId } from '../../shared/ids.ts';
import type { Risk } from '../../shared/incident-schema.ts';
import type { Result } from '../../shared/result.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditActor, AuditEvent } from '../audit/audit-types.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { DocOutbox, OutboxRecord } from '../sync/doc-outbox.ts';
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
import { alertDocWrites, type Planned } from './incident-writer.ts';
import { correlationKeys, riskOf, splitKey } from './planning.ts';
import { hitsOf, matchEntryWrites, matchObservables, recordMatches, reputationOf } from '../intel/matching.ts';
import { LOCKS } from '../db/locks.ts';

export interface IngestDeps {
  sql: Sql;
  /** Writes the incident documents after each batch commits. */
  outbox: DocOutbox;
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
  /** Not an alert (e.g. a Suricata flow record): answered `ignored`, `alert.error` holding the reason. */
  ignored?: boolean;
}

export type Ingest = (items: readonly IntakeItem[], actor: AuditActor) => Promise<IngestResponse>;

interface Request {
  items: readonly IntakeItem[];
  actor: AuditActor;
}

interface Waiting extends Request {
  resolve(r: IngestResponse): void;
  reject(e: unknown): void;
}

/**
 * The ingestion entry point of one process. Requests queue here before they take a connection
 * (a request waiting on the advisory lock inside its transaction would hold a pool connection
 * the lock holder may need to load documents), and the requests that queued while one ran are
 * stored together in the next transaction, up to MAX_ALERTS_PER_BATCH items (group commit: many
 * senders of single alerts share the round trips). The advisory lock then serialises processes.
 */
export function createIngestor(deps: IngestDeps): Ingest {
  const queue: Waiting[] = [];
  let running = false;
  async function pump(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      const take: Waiting[] = [];
      let n = 0;
      while (queue.length > 0 && (take.length === 0 || n + (queue[0]?.items.length ?? 0) <= MAX_ALERTS_PER_BATCH)) {
        const w = queue.shift() as Waiting;
        take.push(w);
        n += w.items.length;
      }
      try {
        const out = await ingestAlerts(deps, take);
        take.forEach((w, i) => w.resolve(out[i] as IngestResponse));
      } catch (e) {
        for (const w of take) w.reject(e);
      }
    }
    running = false;
  }
  return (items, actor) =>
    new Promise<IngestResponse>((resolve, reject) => {
      queue.push({ items, actor, resolve, reject });
      if (!running) void pump();
    });
}

/** A database error caused by the data (SQLSTATE classes 22 data exception, 23 integrity, 54 limits), not by the database being away. */
function refusedByData(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

const failedResult = (it: IntakeItem, index: number): IngestItemResult => ({
  index,
  status: it.ignored ? 'ignored' : 'failed',
  alert_id: null,
  incident_id: null,
  score: null,
  errors: it.alert.ok ? [] : it.alert.error,
});

/** Store several requests' alerts in one transaction; one response per request, in order. */
async function ingestAlerts(deps: IngestDeps, requests: readonly Request[]): Promise<IngestResponse[]> {
  // Items get a position in the combined batch (their `index` there); answers go back per request.
  const combined: IntakeItem[] = [];
  const owner: number[] = [];
  requests.forEach((r, ri) => {
    for (const it of r.items) {
      owner.push(ri);
      combined.push({ ...it, index: combined.length });
    }
  });
  const results = combined.map((it) => failedResult(it, it.index));
  const valid = combined.filter((it): it is IntakeItem & { alert: { ok: true; value: AlertInput } } => it.alert.ok);
  // The audit entries of the items one transaction stores.
  const auditEvents = (stored: ReadonlySet<number>) => (): AuditEvent[] =>
    requests.flatMap((r, ri) => {
      const mine = results.filter((x) => stored.has(x.index) && owner[x.index] === ri && x.status !== 'failed');
      if (mine.length === 0) return [];
      const details = {
        alerts: mine.filter((x) => x.status !== 'deduplicated').map((x) => ({ id: x.alert_id, incident_id: x.incident_id })),
        repeats: mine.filter((x) => x.status === 'deduplicated').map((x) => x.alert_id),
      };
      return [{ actor: r.actor, action: 'alert.ingest', targetType: 'alert', details }];
    });
  // One transaction for the batch; should the database refuse something in it (a value it
  // cannot store), the batch is split in halves until the item at fault is alone: it fails, with
  // the database's reason, and every other item is stored (senders grouped into this batch too).
  const store = async (items: typeof valid): Promise<void> => {
    try {
      const writes = await deps.sql.begin((tx) => storeBatch(deps, tx, items, results, auditEvents(new Set(items.map((it) => it.index)))));
      await deps.outbox.apply(writes);
    } catch (e) {
      if (!refusedByData(e)) throw e;
      for (const it of items) results[it.index] = failedResult(it, it.index);
      if (items.length === 1) {
        const only = items[0] as IntakeItem;
        deps.logger.warn({ err: e, index: only.index }, 'an alert the database refused');
        results[only.index] = { ...failedResult(only, only.index), errors: [`the alert could not be stored: ${(e as Error).message}`] };
        return;
      }
      const half = Math.ceil(items.length / 2);
      await store(items.slice(0, half));
      await store(items.slice(half));
    }
  };
  if (valid.length > 0) await store(valid);
  return requests.map((r, ri) => {
    const items = results.filter((x) => owner[x.index] === ri).map((x, i) => ({ ...x, index: r.items[i]?.index ?? i }));
    const counts: Record<ItemStatus, number> = { created: 0, deduplicated: 0, correlated: 0, failed: 0, ignored: 0 };
    for (const x of items) counts[x.status]++;
    return { items, counts };
  });
}

async function storeBatch(
  deps: IngestDeps,
  tx: TransactionSql,
  valid: readonly (IntakeItem & { alert: { ok: true; value: AlertInput } })[],
  results: IngestItemResult[],
  auditEvents: () => AuditEvent[],
): Promise<OutboxRecord[]> {
  const received = deps.now();
  const receivedIso = received.toISOString();
  const planned: Planned[] = valid.map((item) => {
    const alert = item.alert.value;
    return { item, alert, fp: fingerprint(alert), observables: alertObservables(alert), assets: alertAssets(alert), risk: null as unknown as Risk, row: null };
  });
  // Queries issued together are pipelined on the transaction's connection (fewer round trips
  // while the lock is held); Postgres runs them in order, so the lock comes first.
  // The whole batch's observables are looked up in the intel store in one statement.
  const [, rules, assetRows, intel] = await Promise.all([
    tx`SELECT pg_advisory_xact_lock(${LOCKS.alertIngest})`,
    loadRules(tx),
    lookupAssets(tx, [...new Set(planned.flatMap((p) => p.assets))]),
    matchObservables(
      tx,
      planned.flatMap((p) => p.observables),
      received,
    ),
  ]);
  const assetMap = new Map(assetRows.map((a) => [`${a.kind}:${a.name}`, a]));
  for (const p of planned) p.risk = riskOf(p.alert, assetMap, reputationOf(p.observables, intel));

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
        id: newId(),
        source: p.alert.source,
        type: p.alert.type,
        title: p.alert.title,
        format: p.item.format,
        status: 'unlinked',
        fingerprint: p.fp,
        external_id: p.alert.external_id ?? null,
        raw: p.item.raw,
        normalized: p.alert,
        score: p.risk.score,
        severity: p.risk.severity,
        risk: p.risk,
        count: 1,
        last_seen: receivedIso,
        incident_id: null,
        entry_id: null,
        observed_at: p.alert.observed_at ?? null,
        detected_at: p.alert.detected_at ?? receivedIso,
        received_at: receivedIso,
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
  const intelHits = fresh.flatMap((p) => hitsOf(p.observables, intel, { incidentId: p.row?.incident_id ?? null, alertId: p.row?.id ?? null, how: 'arrival' }));
  const [, , , newHits] = await Promise.all([
    insertAlerts(tx, rows),
    countRepeats(tx, repeats),
    indexObservables(tx, dedupeIndex(index)),
    recordMatches(tx, intelHits),
  ]);
  // Repeats of stored alerts: their timeline entry shows the new count (the lock makes it exact).
  const counted = [...repeats.values()].flatMap(({ n, stored }) =>
    stored.incident_id && stored.entry_id ? [{ incident_id: stored.incident_id, entry_id: stored.entry_id, count: stored.count + n }] : [],
  );
  const writes = await deps.outbox.record(tx, [...alertDocWrites(fresh, counted, receivedIso), ...matchEntryWrites(newHits, received)]);
  await deps.audit.append(auditEvents(), tx);
  return writes;
}

function dedupeIndex(rows: readonly ObservableHit[]): ObservableHit[] {
  const m = new Map<string, ObservableHit>();
  for (const r of rows) m.set(`${r.kind}\u0000${r.value}\u0000${r.incident_id}`, r);
  return [...m.values()];
}
