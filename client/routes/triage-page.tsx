/**
 * "/triage": open incidents by priority. Online the order is the server's priority queue (which
 * knows asset criticality); offline, or when the server cannot answer, it is computed on this
 * device from the local index with the same shared functions. Each row shows severity, the SLA
 * and breach clocks (counting down) and, expanded, where its priority points came from.
 */
import { Link } from '@tanstack/solid-router';
import { createMemo, createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { ClockBadge, computeSla, createTicker } from '../components/sla-badge.tsx';
import type { IncidentSummary } from '../local/incident-summary.ts';
import type { QueueItem } from '../local/incident-api.ts';
import { createLiveQuery } from '../primitives/create-live-query.ts';
import { localQueue, type TriageRow } from './triage-order.ts';

const REFRESH_MS = 10_000;

type Source = { kind: 'loading' } | { kind: 'server'; order: QueueItem[]; at: number } | { kind: 'local'; reason: string };

export function TriagePage(): JSX.Element {
  const app = useApp();
  const now = createTicker();
  const [source, setSource] = createSignal<Source>({ kind: 'loading' });
  const rows = createLiveQuery(
    () => app.engine.db,
    (db) => db.incidents.toArray(),
    [] as IncidentSummary[],
  );
  const load = async (): Promise<void> => {
    const res = await app.api.priorityQueue();
    if (res.ok) setSource({ kind: 'server', order: res.value, at: Date.now() });
    else setSource({ kind: 'local', reason: res.error.kind === 'network' ? 'offline' : res.error.message });
  };
  onMount(() => {
    void load();
    app.engine.syncSoon();
    const t = setInterval(() => document.visibilityState === 'visible' && void load(), REFRESH_MS);
    onCleanup(() => clearInterval(t));
  });
  // The local computation is the fallback and fills in what the server's rows lack.
  const local = createMemo(() => localQueue(rows.value(), app.now()));
  const queue = createMemo((): TriageRow[] => {
    const s = source();
    if (s.kind !== 'server') return local();
    const byId = new Map(local().map((r) => [r.id, r]));
    return s.order
      .filter((q) => q.status !== 'closed')
      .map((q): TriageRow => {
        const l = byId.get(q.id);
        const explanation =
          typeof q.explanation === 'string' ? q.explanation : typeof q.priority_explanation === 'string' ? q.priority_explanation : (l?.explanation ?? '');
        const createdAt = typeof q['created_at'] === 'string' ? q['created_at'] : (l?.createdAt ?? new Date(0).toISOString());
        return {
          id: q.id,
          key: q.key ?? l?.key ?? null,
          title: l?.title ?? q.title,
          status: l?.status ?? (q.status as TriageRow['status']),
          severity: l?.severity ?? q.severity,
          score: q.priority_score ?? q.score ?? l?.score ?? 0,
          explanation,
          factors: serverFactors(q) ?? l?.factors ?? [],
          createdAt,
          resolvedAt: l ? l.resolvedAt : typeof q['resolved_at'] === 'string' ? q['resolved_at'] : null,
          breach: l ? l.breach : serverBreach(q),
        };
      });
  });
  return (
    <section class="list-page" aria-labelledby="triage-title">
      <div class="page-head">
        <h1 id="triage-title">Triage queue</h1>
        <span class="muted" data-testid="triage-source">
          {(() => {
            const s = source();
            return s.kind === 'server' ? 'Priority from the server' : s.kind === 'local' ? `Computed on this device (${s.reason})` : 'Loading…';
          })()}
        </span>
      </div>
      <Show when={queue().length > 0} fallback={<p class="empty">{source().kind === 'loading' ? 'Loading the queue…' : 'No open incidents.'}</p>}>
        <ol class="triage-list" data-testid="triage-list">
          <For each={queue()}>{(row, i) => <TriageItem row={row} rank={i() + 1} now={now()} />}</For>
        </ol>
      </Show>
    </section>
  );
}

/** The API's `breach { regulation, aware_at }` as the document's shape, for an incident not on this device. */
function serverBreach(q: QueueItem): TriageRow['breach'] {
  const b = q['breach'];
  if (typeof b !== 'object' || b === null) return null;
  const r = b as Record<string, unknown>;
  return typeof r['regulation'] === 'string' && typeof r['aware_at'] === 'string' ? { regulation: r['regulation'], awareAt: r['aware_at'] } : null;
}

function serverFactors(q: QueueItem): TriageRow['factors'] | null {
  const raw = q['priority_factors'] ?? q['factors'];
  if (!Array.isArray(raw)) return null;
  const out: TriageRow['factors'] = [];
  for (const f of raw) {
    if (typeof f !== 'object' || f === null) continue;
    const r = f as Record<string, unknown>;
    const factor = r['factor'];
    if (factor !== 'severity' && factor !== 'asset_criticality' && factor !== 'sla' && factor !== 'age') continue;
    out.push({ factor, points: typeof r['points'] === 'number' ? r['points'] : 0, detail: String(r['detail'] ?? '') });
  }
  return out;
}

function TriageItem(props: { row: TriageRow; rank: number; now: number }): JSX.Element {
  const sla = () =>
    computeSla(
      {
        severity: props.row.severity,
        status: props.row.status,
        createdAt: props.row.createdAt,
        resolvedAt: props.row.resolvedAt,
        breach: props.row.breach ?? null,
      },
      props.now,
    );
  return (
    <li class="card triage-item" data-testid="triage-row" data-id={props.row.id}>
      <div class="triage-head">
        <span class="triage-rank" aria-label={`Rank ${props.rank}`}>
          {props.rank}
        </span>
        <span class="triage-score" title={props.row.explanation} data-testid="triage-score">
          {Math.round(props.row.score)}
        </span>
        <Link to="/incidents/$id" params={{ id: props.row.id }} class="triage-title" data-testid="triage-link">
          <span class="row-key">{props.row.key ?? 'pending'}</span> {props.row.title}
        </Link>
        <SeverityBadge severity={props.row.severity} />
        <StatusBadge status={props.row.status} />
        <Show when={sla().state !== 'met'}>
          <Show
            when={sla().response_state !== 'met'}
            fallback={<ClockBadge label="Resolve" state={sla().resolution_state} due={sla().resolution_due} now={props.now} />}
          >
            <ClockBadge label="Respond" state={sla().response_state} due={sla().response_due} now={props.now} />
          </Show>
        </Show>
        <Show
          when={
            sla().breach_state && sla().breach_notification_due ? { state: sla().breach_state ?? 'on_track', due: sla().breach_notification_due ?? '' } : null
          }
        >
          {(b) => <ClockBadge label="Breach" state={b().state} due={b().due} now={props.now} testId="triage-breach" />}
        </Show>
      </div>
      <details class="triage-why">
        <summary>Why this priority</summary>
        <Show when={props.row.factors.length > 0} fallback={<p class="explain">{props.row.explanation || 'No explanation available.'}</p>}>
          <ul class="explain">
            <For each={props.row.factors}>
              {(f) => (
                <li>
                  +{f.points} {f.detail}
                </li>
              )}
            </For>
          </ul>
        </Show>
      </details>
    </li>
  );
}
