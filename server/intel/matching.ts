/**
 * Matching incidents and alerts against the indicator store, and telling the incident.
 *
 * - On arrival: alert ingestion looks up a whole batch's observables in one statement
 *   (`matchObservables`), the highest active score becomes each alert's `reputation` in its risk
 *   score, and the hits are recorded (`recordMatches`); observables people add to an incident are
 *   found by `startIncidentMatcher` (document changes, batched).
 * - Retrospectively (`createRetroSearch`): when a feed adds indicators, incident observables and
 *   unlinked alerts seen within the window are checked; an alert with no incident opens one
 *   through the `OpenIncidentForAlert` port (server/alerts implements it; intel never imports alerts).
 *
 * A hit is written into the incident as one `system` timeline entry only the first time that
 * indicator matches that incident (the entry is the in-app notification; the retrospective
 * search also posts to Slack when the `slack` connector is configured). Only active indicators
 * (score at or above their type's threshold, not past valid_until) match, and never a
 * never-public address or an allow-listed value (ignored.ts), whichever side it is on.
 *
 * Longer than most modules (~450 lines) because the three ways in share the hit recording and
 * the timeline entries; the retrospective part is the one to split out if it grows.
 */
import { newId } from '../../shared/ids.ts';
import { LOCKS } from '../db/locks.ts';
import type * as Y from 'yjs';
import { addTimelineEntry, hasTimelineEntry, isIncidentDoc, readMeta, SERVER_ORIGIN } from '../../shared/incident-doc.ts';
import type { IntelMatchPayload } from '../../shared/timeline-payloads.ts';
import type { OutboxItem } from '../sync/doc-outbox.ts';
import type { Observable } from '../../shared/incident-schema.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { DB_ORIGIN, type DocumentManager } from '../sync/document-types.ts';
import type { IntelService } from './intel-service.ts';
import { detectValue, matchDetected, scoredIndicatorsSql, type Detected, type IndicatorMatch } from './lookup.ts';
import type { RetroRanges } from './store.ts';
import { ignoredReason, loadAllowed } from './ignored.ts';

type Q = Sql | TransactionSql;

const INTEL_AUTHOR = 'sentpilot intel';
/** Observable kinds that can be indicators. */
const LOOKUP_KINDS: ReadonlySet<string> = new Set(['ip', 'domain', 'url', 'hash']);
const obsKey = (o: Pick<Observable, 'kind' | 'value'>): string => `${o.kind}:${o.value}`;

/** Active matches of observables, by `kind:value`; one statement whatever their number. */
export async function matchObservables(
  sql: Q,
  observables: readonly Pick<Observable, 'kind' | 'value'>[],
  now = new Date(),
): Promise<Map<string, IndicatorMatch[]>> {
  const keys: string[] = [];
  const detected: Detected[] = [];
  const seen = new Set<string>();
  for (const o of observables) {
    const k = obsKey(o);
    if (!LOOKUP_KINDS.has(o.kind) || seen.has(k)) continue;
    seen.add(k);
    const d = detectValue(o.value);
    if (!d) continue;
    keys.push(k);
    detected.push(d);
  }
  const out = new Map<string, IndicatorMatch[]>();
  if (detected.length === 0) return out;
  const matches = await matchDetected(sql, detected, { now, activeOnly: true });
  keys.forEach((k, i) => {
    const m = matches[i] ?? [];
    if (m.length) out.set(k, m);
  });
  return out;
}

/** The highest active score among an alert's observables (0-100), or null when none matched. */
export function reputationOf(observables: readonly Pick<Observable, 'kind' | 'value'>[], matches: ReadonlyMap<string, IndicatorMatch[]>): number | null {
  let best: number | null = null;
  for (const o of observables) for (const m of matches.get(obsKey(o)) ?? []) if (best === null || m.score > best) best = m.score;
  return best === null ? null : Math.round(best);
}

/** One observable of an incident or alert that matched an indicator. */
export interface MatchHit {
  indicator: Pick<IndicatorMatch, 'id' | 'type' | 'value' | 'score' | 'source_names'>;
  observable: string;
  incidentId: string | null;
  alertId: string | null;
  how: 'arrival' | 'retro';
}

/** Hits of observables (as `matchObservables` found them) for one incident and/or alert. */
export function hitsOf(
  observables: readonly Pick<Observable, 'kind' | 'value'>[],
  matches: ReadonlyMap<string, IndicatorMatch[]>,
  at: Pick<MatchHit, 'incidentId' | 'alertId' | 'how'>,
): MatchHit[] {
  return observables.flatMap((o) => (matches.get(obsKey(o)) ?? []).map((indicator) => ({ indicator, observable: o.value, ...at })));
}

/**
 * Store hits (a repeat of a stored one is ignored). `skipKnownObservable`: an incident-level hit
 * whose (indicator, incident, observable) is already recorded, e.g. by an alert, is not stored
 * again. Returns the hits to announce: the first per (incident, indicator) that no earlier match
 * of that incident had.
 */
export async function recordMatches(sql: Q, hits: readonly MatchHit[], opts: { skipKnownObservable?: boolean } = {}): Promise<MatchHit[]> {
  if (hits.length === 0) return [];
  const rows = await sql<{ n: number; known: boolean }[]>`
    WITH input AS (
      SELECT (t.n - 1)::int AS n, t.indicator_id, nullif(t.incident_id, '')::uuid AS incident_id, nullif(t.alert_id, '')::uuid AS alert_id,
             t.observable, t.how, t.score
      FROM unnest(${hits.map((h) => h.indicator.id)}::int8[], ${hits.map((h) => h.incidentId ?? '')}::text[], ${hits.map((h) => h.alertId ?? '')}::text[],
                  ${hits.map((h) => h.observable)}::text[], ${hits.map((h) => h.how)}::text[], ${hits.map((h) => h.indicator.score)}::float8[])
        WITH ORDINALITY AS t(indicator_id, incident_id, alert_id, observable, how, score, n)
    ),
    prior AS (
      SELECT DISTINCT m.indicator_id, m.incident_id FROM intel_matches m JOIN input ON m.indicator_id = input.indicator_id AND m.incident_id = input.incident_id
    ),
    ins AS (
      INSERT INTO intel_matches (indicator_id, incident_id, alert_id, observable, how, score)
      SELECT indicator_id, incident_id, alert_id, observable, how, score FROM input
      ${opts.skipKnownObservable ? sql`WHERE NOT EXISTS (SELECT 1 FROM intel_matches m WHERE m.indicator_id = input.indicator_id AND m.incident_id = input.incident_id AND m.observable = input.observable)` : sql``}
      ON CONFLICT DO NOTHING
    )
    SELECT input.n, (prior.indicator_id IS NOT NULL) AS known FROM input
    LEFT JOIN prior ON prior.indicator_id = input.indicator_id AND prior.incident_id = input.incident_id
    WHERE input.incident_id IS NOT NULL`;
  const announced = new Set<string>();
  const out: MatchHit[] = [];
  for (const r of rows.sort((a, b) => a.n - b.n)) {
    const h = hits[r.n] as MatchHit;
    const k = `${h.incidentId}:${h.indicator.id}`;
    if (r.known || announced.has(k)) continue;
    announced.add(k);
    out.push(h);
  }
  return out;
}

/** The timeline sentence of a hit. */
function matchText(h: MatchHit): string {
  const what = h.indicator.value === h.observable ? h.observable : `${h.observable} (in ${h.indicator.value})`;
  const sources = h.indicator.source_names.length ? h.indicator.source_names.join(', ') : 'the threat-intel store';
  return `Threat intel: ${what} is ${h.how === 'retro' ? 'now ' : ''}reported by ${sources} (score ${Math.round(h.indicator.score)})`;
}

/** The outbox kind of a MatchWrite. */
export const MATCH_WRITE_KIND = 'intel_matches';

/** One incident's new hits as `system` entries (JSON: ingestion stores it in the document outbox). */
interface MatchWrite {
  entries: { id: string; at: string; text: string; data: IntelMatchPayload }[];
}

/** Each incident's hits as one outbox item, with the entries' ids drawn now (so a replay adds nothing twice). */
export function matchEntryWrites(hits: readonly MatchHit[], now = new Date()): OutboxItem[] {
  const byIncident = new Map<string, MatchWrite>();
  for (const h of hits) {
    if (!h.incidentId) continue;
    const w = byIncident.get(h.incidentId) ?? { entries: [] };
    byIncident.set(h.incidentId, w);
    w.entries.push({
      id: newId(),
      at: now.toISOString(),
      text: matchText(h),
      data: {
        intel_match: {
          indicator_id: h.indicator.id,
          type: h.indicator.type,
          value: h.indicator.value,
          observable: h.observable,
          score: Math.round(h.indicator.score),
          sources: h.indicator.source_names,
          how: h.how,
          alert_id: h.alertId,
        },
      },
    });
  }
  return [...byIncident].map(([docId, payload]) => ({ docId, kind: MATCH_WRITE_KIND, payload }));
}

/** The outbox handler: add an incident's match entries (those not there yet). */
export function applyMatchWrite(doc: Y.Doc, payload: unknown): 'done' | 'later' {
  if (!isIncidentDoc(doc)) return 'later';
  for (const e of (payload as MatchWrite).entries) {
    if (hasTimelineEntry(doc, e.id)) continue;
    addTimelineEntry(doc, { id: e.id, kind: 'system', text: e.text, author: INTEL_AUTHOR, at: e.at, data: e.data }, SERVER_ORIGIN);
  }
  return 'done';
}

/** Write each hit as a `system` entry into its incident (one document transaction per incident). */
async function writeMatchEntries(docs: DocumentManager, hits: readonly MatchHit[], now = new Date()): Promise<void> {
  for (const item of matchEntryWrites(hits, now)) {
    await docs.withDoc(item.docId, (doc) => {
      if (isIncidentDoc(doc)) doc.transact(() => applyMatchWrite(doc, item.payload), SERVER_ORIGIN);
    });
  }
}

interface IncidentMatcher {
  /** Check the incidents changed since the last check now (tests). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Observables people add to incidents: every change of a document this process received marks
 * the incident; every `intervalMs` the marked incidents' observables not checked before (per
 * process, bounded memory) are looked up in one statement, and new hits recorded and written.
 * Changes read back from other processes are left to the process that received them.
 */
function startIncidentMatcher(deps: { sql: Sql; docs: DocumentManager; logger: Logger; intervalMs?: number; maxRemembered?: number }): IncidentMatcher {
  const { sql, docs, logger } = deps;
  const maxRemembered = deps.maxRemembered ?? 10_000;
  const pending = new Set<string>();
  const checked = new Map<string, Set<string>>();
  let running: Promise<void> = Promise.resolve();
  const unsubscribe = docs.onChange((id, origin) => {
    if (origin !== DB_ORIGIN) pending.add(id);
  });

  async function check(): Promise<void> {
    const ids = [...pending];
    pending.clear();
    const todo: { id: string; observables: Observable[] }[] = [];
    for (const id of ids) {
      if (!docs.isLoaded(id)) continue;
      const observables = await docs.withDoc(id, (doc) => (isIncidentDoc(doc) ? readMeta(doc).observables : []));
      const done = checked.get(id) ?? new Set<string>();
      const fresh = observables.filter((o) => LOOKUP_KINDS.has(o.kind) && !done.has(obsKey(o)));
      if (fresh.length) todo.push({ id, observables: fresh });
    }
    if (todo.length === 0) return;
    // Shared with alert ingestion's exclusive lock: a batch being stored commits its own matches
    // first, so they are not recorded and announced a second time here.
    const fresh = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock_shared(${LOCKS.alertIngest})`;
      const matches = await matchObservables(
        tx,
        todo.flatMap((t) => t.observables),
      );
      const hits = todo.flatMap((t) => hitsOf(t.observables, matches, { incidentId: t.id, alertId: null, how: 'arrival' }));
      return recordMatches(tx, hits, { skipKnownObservable: true });
    });
    await writeMatchEntries(docs, fresh);
    for (const t of todo) {
      const done = checked.get(t.id) ?? new Set<string>();
      for (const o of t.observables) done.add(obsKey(o));
      checked.delete(t.id);
      checked.set(t.id, done);
    }
    while (checked.size > maxRemembered) checked.delete(checked.keys().next().value as string);
  }

  const flush = (): Promise<void> => {
    running = running.then(check).catch((e: unknown) => logger.warn({ err: e }, 'intel: incident matching failed'));
    return running;
  };
  const timer = setInterval(() => {
    if (pending.size) void flush();
  }, deps.intervalMs ?? 2_000);
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      unsubscribe();
      await running;
    },
  };
}

/**
 * Opens an incident for a stored alert that had none, as ingestion would have, and returns its id
 * (null when the alert has one or is gone). The port through which the retrospective search
 * opens incidents: server/alerts implements it (open-incident.ts) and server.ts passes it in, so
 * intel never imports alerts.
 */
export type OpenIncidentForAlert = (alertId: string) => Promise<string | null>;

export interface RetroDeps {
  sql: Sql;
  docs: DocumentManager;
  logger: Logger;
  /** Days of past observables and alerts to check (INTEL_RETRO_DAYS, default 90). */
  windowDays?: number;
  openIncident?: OpenIncidentForAlert;
  /** Tell people outside the app (Slack when configured); failures are logged, never fatal. */
  notify?: (text: string) => Promise<void>;
  now?: () => Date;
}

export interface RetroResult {
  /** Hits recorded. */
  matched: number;
  /** Incidents told (an entry each new indicator). */
  incidents: number;
  /** Incidents opened for alerts that had none. */
  opened: number;
}

interface RetroRow {
  indicator_id: number;
  type: IndicatorMatch['type'];
  value: string;
  score: number;
  source_names: string[] | null;
  observable: string;
  incident_id: string | null;
  alert_id: string | null;
}

/**
 * The retrospective search feeds call with the ids a run added or revived: one statement that starts from
 * the few observables seen within the window (incident observables and unlinked alerts') and
 * looks each up among the new indicators through the store's indexes (exact values by
 * (type, value), IPv4 and IPv6 addresses inside new CIDR ranges by the GiST index), so its cost follows
 * the observables, not the size of the feed. Only active indicators count.
 */
export function createRetroSearch(deps: RetroDeps): (added: RetroRanges) => Promise<RetroResult> {
  return async (added) => {
    const result: RetroResult = { matched: 0, incidents: 0, opened: 0 };
    const now = deps.now?.() ?? new Date();
    const since = new Date(now.getTime() - (deps.windowDays ?? 90) * 86_400_000);
    const { sql } = deps;
    // The new ids, and the revived ones (store.ts): a filter after the index probes, so its cost
    // follows the hits, not the number of ranges.
    const more = added.more ?? [];
    const inAdded =
      more.length === 0
        ? sql`i.id BETWEEN ${added.from} AND ${added.to}`
        : sql`EXISTS (SELECT 1 FROM unnest(${[added.from, ...more.map((r) => r.from)]}::bigint[], ${[added.to, ...more.map((r) => r.to)]}::bigint[]) AS r(f, t) WHERE i.id BETWEEN r.f AND r.t)`;
    const rows = await sql<RetroRow[]>`
      WITH obs AS (
        SELECT o.kind, o.value, o.incident_id, NULL::uuid AS alert_id FROM incident_observables o
        WHERE o.last_seen > ${since} AND o.kind IN ('ip', 'domain', 'url', 'hash')
        UNION ALL
        -- Alerts without an incident (or with the one an earlier retrospective hit opened).
        -- URLs as indicators have them: scheme and host lower-cased, path and query as written
        -- (shared/intel-values.ts canonicalUrl; defanged or port-bearing forms are not redone
        -- here); the other kinds are lower-cased.
        SELECT k.kind, CASE WHEN k.kind = 'url'
            THEN coalesce(lower(substring(v.value FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*')) || substring(v.value FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(.*)$'), v.value)
            ELSE lower(v.value) END,
          (SELECT m.incident_id FROM intel_matches m WHERE m.alert_id = a.id AND m.incident_id IS NOT NULL LIMIT 1), a.id
        FROM alerts a
        CROSS JOIN LATERAL (VALUES ('ip', 'ips'), ('domain', 'domains'), ('url', 'urls'), ('hash', 'hashes')) AS k(kind, list)
        CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(a.normalized->'observables'->k.list) = 'array' THEN a.normalized->'observables'->k.list ELSE '[]'::jsonb END) AS v(value)
        WHERE a.incident_id IS NULL AND a.received_at > ${since}
      ),
      hit AS (
        SELECT i.id, obs.value AS observable, obs.incident_id, obs.alert_id
        FROM obs
        JOIN (VALUES ('ip', 'ipv4'), ('ip', 'ipv6'), ('domain', 'domain'), ('url', 'url'), ('hash', 'md5'), ('hash', 'sha1'), ('hash', 'sha256')) AS t(kind, type) ON t.kind = obs.kind
        JOIN indicators i ON i.type = t.type AND i.value = obs.value
        WHERE ${inAdded}
        UNION
        SELECT i.id, obs.value, obs.incident_id, obs.alert_id
        FROM obs
        JOIN indicators i ON i.net IS NOT NULL AND i.net >>= intel_try_inet(obs.value)
        WHERE obs.kind = 'ip' AND ${inAdded}
        UNION
        -- A URL also matches its host as a domain, as lookup.ts detectValue does for /indicators/lookup
        -- (once per incident: alerts index a URL as written and lower-cased; "C" order keeps the former).
        (SELECT DISTINCT ON (i.id, obs.incident_id, obs.alert_id) i.id, obs.value, obs.incident_id, obs.alert_id
        FROM obs
        JOIN indicators i ON i.type = 'domain' AND i.value = lower(substring(obs.value FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)'))
        WHERE obs.kind = 'url' AND ${inAdded}
        ORDER BY i.id, obs.incident_id, obs.alert_id, obs.value COLLATE "C")
      ),
      ${scoredIndicatorsSql(sql, now, sql`i.id IN (SELECT id FROM hit)`)}
      SELECT s.id AS indicator_id, s.type, s.value, s.score, hit.observable, hit.incident_id, hit.alert_id,
        (SELECT array_agg(DISTINCT coalesce(f.name, g.source)) FROM indicator_sightings g LEFT JOIN intel_feeds f ON f.id = g.feed_id
          WHERE g.indicator_id = s.id AND g.expired_at IS NULL) AS source_names
      FROM hit JOIN scored s ON s.id = hit.id
      WHERE s.active
      ORDER BY hit.incident_id, hit.alert_id, s.score DESC`;
    if (rows.length === 0) return result;
    // Never-public and allow-listed values match nothing, as on arrival (ignored.ts).
    const allowed = await loadAllowed(sql);
    const counts = (r: RetroRow): boolean => {
      const observed = detectValue(r.observable);
      return ignoredReason(r, allowed) === null && (!observed || ignoredReason({ type: observed.type, value: observed.canonical }, allowed) === null);
    };
    const hits: MatchHit[] = [];
    const opened = new Map<string, string | null>();
    for (const r of rows.filter(counts)) {
      let incidentId = r.incident_id;
      if (!incidentId && r.alert_id && deps.openIncident) {
        if (!opened.has(r.alert_id)) opened.set(r.alert_id, await deps.openIncident(r.alert_id));
        incidentId = opened.get(r.alert_id) ?? null;
      }
      const indicator = { id: r.indicator_id, type: r.type, value: r.value, score: r.score, source_names: r.source_names ?? [] };
      hits.push({ indicator, observable: r.observable, incidentId, alertId: r.alert_id, how: 'retro' });
    }
    const fresh = await recordMatches(sql, hits);
    await writeMatchEntries(deps.docs, fresh, now);
    if (hits.length === 0) return result;
    result.matched = hits.length;
    result.incidents = new Set(fresh.map((h) => h.incidentId)).size;
    result.opened = [...opened.values()].filter(Boolean).length;
    deps.logger.info({ added, ...result }, 'intel: retrospective search');
    if (fresh.length && deps.notify) {
      const lines = fresh.slice(0, 20).map((h) => `• ${matchText(h)} (incident ${h.incidentId})`);
      if (fresh.length > 20) lines.push(`… and ${fresh.length - 20} more`);
      await deps.notify(lines.join('\n')).catch((e: unknown) => deps.logger.warn({ err: e }, 'intel: notifying the retrospective hits failed'));
    }
    return result;
  };
}

export interface IntelUse {
  matcher: IncidentMatcher;
  retro: (added: RetroRanges) => Promise<RetroResult>;
  stop(): Promise<void>;
}

/**
 * Posts to the Slack incoming webhook of the `slack` connector (server/playbooks/connectors.ts,
 * secret `webhook_url`) when an admin configured one; otherwise nothing. Slack's control
 * characters are escaped, so a feed value cannot mention @channel.
 */
export function slackNotifier(
  connector: (name: string) => Promise<{ secrets: Record<string, string> } | null>,
  fetchFn: typeof fetch = fetch,
): (text: string) => Promise<void> {
  return async (text) => {
    const url = (await connector('slack'))?.secrets['webhook_url'];
    if (!url) return;
    const escaped = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
    const res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: escaped }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`slack webhook answered ${res.status}`);
  };
}

/** What the server runs: the incident matcher, and the retrospective search on every feed run that added indicators. */
export function startIntelUse(deps: {
  sql: Sql;
  docs: DocumentManager;
  logger: Logger;
  intel: Pick<IntelService, 'onIndicatorsAdded'>;
  retroDays?: number;
  /** Opens an incident for an alert a retrospective hit found without one (server/alerts); omitted = such hits only record the match. */
  openIncident?: OpenIncidentForAlert;
  notify?: (text: string) => Promise<void>;
}): IntelUse {
  const matcher = startIncidentMatcher(deps);
  const retro = createRetroSearch({ ...deps, windowDays: deps.retroDays });
  const unsubscribe = deps.intel.onIndicatorsAdded(async (added) => {
    try {
      await retro(added);
    } catch (e) {
      deps.logger.error({ err: e, added }, 'intel: retrospective search failed');
    }
  });
  return {
    matcher,
    retro,
    async stop() {
      unsubscribe();
      await matcher.stop();
    },
  };
}
