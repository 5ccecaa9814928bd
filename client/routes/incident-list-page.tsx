/**
 * The incident list at "/": read from the local index in IndexedDB (instant, offline), filtered
 * by status tab, severity and text, sorted, with counts per status. Only the visible rows are
 * rendered, so thousands of incidents stay fast. Filters live in the URL.
 */
import { Link, useNavigate, useSearch } from '@tanstack/solid-router';
import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../shared/incident-schema.ts';
import { STATUSES } from '../../shared/workflow.ts';
import { useApp } from '../app-context.tsx';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { categoryLabel, severityShort, statusLabel } from '../components/labels.ts';
import { absoluteTime, relativeTime } from '../components/time-format.ts';
import { VirtualRows } from '../components/virtual-rows.tsx';
import { computeSla } from '../components/sla-badge.tsx';
import { CLOCK_STATE_LABELS } from '../components/clock-format.ts';
import type { IncidentSummary } from '../local/incident-summary.ts';
import { createLiveQuery } from '../primitives/create-live-query.ts';
import { filterIncidents, LIST_SORTS, toUrlSearch, type ListSearch, type ListSort, type StatusFilter } from './list-search.ts';

const TABS: { value: StatusFilter; label: string }[] = [
  { value: 'open', label: 'Open' },
  ...STATUSES.map((s) => ({ value: s, label: statusLabel(s) })),
  { value: 'all', label: 'All' },
];

const LIST_POLL_MS = 4_000;

const SORT_LABELS = { updated: 'Last updated', created: 'Created', severity: 'Severity', key: 'Key' } as const satisfies Record<ListSort, string>;

function useNarrow(): () => boolean {
  const query = window.matchMedia('(max-width: 720px)');
  const [narrow, setNarrow] = createSignal(query.matches);
  const onChange = (e: MediaQueryListEvent): void => {
    setNarrow(e.matches);
  };
  onMount(() => query.addEventListener('change', onChange));
  onCleanup(() => query.removeEventListener('change', onChange));
  return narrow;
}

export function IncidentListPage(): JSX.Element {
  const app = useApp();
  const search = useSearch({ from: '/' });
  const navigate = useNavigate({ from: '/' });
  const narrow = useNarrow();
  // The list is where one waits for the server's news (incidents created elsewhere): look for
  // it on arrival and every few seconds while the list is on screen (a cheap GET when idle).
  onMount(() => {
    app.engine.syncSoon();
    const poll = setInterval(() => {
      if (document.visibilityState === 'visible') app.engine.syncSoon();
    }, LIST_POLL_MS);
    onCleanup(() => clearInterval(poll));
  });
  const all = createLiveQuery(
    () => app.engine.db,
    (db) => db.incidents.toArray(),
    [] as IncidentSummary[],
  );
  // Guests see only the incidents they were invited to (the server sends them no others; this
  // also hides what an earlier user left on a shared device).
  const visible = createMemo(() => (app.me()?.user.role === 'guest' ? all.value().filter((r) => app.can('incident:read', r.id)) : all.value()));
  const filtered = createMemo(() => filterIncidents(visible(), search(), app.me() ? app.authorName() : null));

  const update = (patch: Partial<ListSearch>): void => {
    void navigate({ search: toUrlSearch({ ...search(), ...patch }), replace: true });
  };
  // Typing updates the URL after a short pause so every keystroke does not add work.
  const [q, setQ] = createSignal(search().q);
  let qTimer: ReturnType<typeof setTimeout> | undefined;
  const onQuery = (value: string): void => {
    setQ(value);
    clearTimeout(qTimer);
    qTimer = setTimeout(() => update({ q: value }), 150);
  };
  onCleanup(() => clearTimeout(qTimer));
  // Back/forward changes the URL: follow it unless the user is typing.
  let searchInput: HTMLInputElement | undefined;
  createEffect(
    on(
      () => search().q,
      (value) => {
        if (document.activeElement !== searchInput) setQ(value);
      },
      { defer: true },
    ),
  );

  const toggleSeverity = (s: Severity): void => {
    const current = new Set(search().severity);
    if (current.has(s)) current.delete(s);
    else current.add(s);
    update({ severity: [...current].sort() as Severity[] });
  };

  return (
    <section class="list-page" aria-labelledby="list-title">
      <div class="page-head">
        <h1 id="list-title">Incidents</h1>
        <span class="muted">
          {filtered().rows.length} shown · {visible().length} on this device
        </span>
      </div>

      <nav class="status-tabs" aria-label="Filter by status">
        <For each={TABS}>
          {(tab) => (
            <button
              type="button"
              class="tab"
              aria-pressed={search().status === tab.value}
              data-testid={`status-tab-${tab.value}`}
              onClick={() => update({ status: tab.value })}
            >
              {tab.label} <span class="tab-count">{filtered().counts[tab.value]}</span>
            </button>
          )}
        </For>
      </nav>

      <div class="list-controls">
        <label class="search-field">
          <span class="visually-hidden">Search incidents</span>
          <input
            ref={searchInput}
            type="search"
            placeholder="Search title, key or tag"
            value={q()}
            onInput={(e) => onQuery(e.currentTarget.value)}
            data-testid="incident-search"
          />
        </label>
        <fieldset class="sev-filter">
          <legend class="visually-hidden">Filter by severity</legend>
          <For each={SEVERITIES}>
            {(s) => (
              <button
                type="button"
                class="sev-toggle"
                data-sev={s}
                aria-pressed={search().severity.includes(s)}
                onClick={() => toggleSeverity(s)}
                title={`Show ${s} ${severityShort(s)}`}
              >
                {s}
              </button>
            )}
          </For>
        </fieldset>
        <button type="button" class="btn mine-toggle" aria-pressed={search().mine} data-testid="filter-mine" onClick={() => update({ mine: !search().mine })}>
          Assigned to me
        </button>
        <label class="sort-field">
          <span>Category</span>
          <select value={search().category} onChange={(e) => update({ category: e.currentTarget.value as Category | '' })} data-testid="incident-category">
            <option value="">All</option>
            <For each={CATEGORIES}>{(c) => <option value={c}>{categoryLabel(c)}</option>}</For>
          </select>
        </label>
        <label class="sort-field">
          <span>Sort</span>
          <select value={search().sort} onChange={(e) => update({ sort: e.currentTarget.value as ListSort })} data-testid="incident-sort">
            <For each={LIST_SORTS}>{(s) => <option value={s}>{SORT_LABELS[s]}</option>}</For>
          </select>
        </label>
        <button
          type="button"
          class="btn order-toggle"
          onClick={() => update({ order: search().order === 'desc' ? 'asc' : 'desc' })}
          aria-label={search().order === 'desc' ? 'Desc: descending order; switch to ascending' : 'Asc: ascending order; switch to descending'}
        >
          {search().order === 'desc' ? '↓ Desc' : '↑ Asc'}
        </button>
      </div>

      <div class="incident-table" data-testid="incident-list">
        <div class="incident-head" aria-hidden="true">
          <span>Key</span>
          <span>Title</span>
          <span>Severity</span>
          <span>Status</span>
          <span>Assignee</span>
          <span>Updated</span>
        </div>
        <Show when={all.ready()} fallback={<p class="empty">Loading incidents from this device…</p>}>
          <Show
            when={filtered().rows.length > 0}
            fallback={
              <p class="empty">
                {all.value().length === 0
                  ? 'No incidents on this device yet. Create one with “New incident”; incidents from the server appear here as they sync.'
                  : 'No incident matches these filters.'}
              </p>
            }
          >
            <VirtualRows items={filtered().rows} rowHeight={narrow() ? 88 : 60} aria-label="Incidents">
              {(row) => <IncidentRow row={row} now={app.now()} />}
            </VirtualRows>
          </Show>
        </Show>
      </div>
    </section>
  );
}

function IncidentRow(props: { row: IncidentSummary; now: number }): JSX.Element {
  return (
    <Link to="/incidents/$id" params={{ id: props.row.id }} class="incident-row" data-testid="incident-row" data-sev={props.row.severity}>
      <span class="row-key" classList={{ pending: !props.row.key }}>
        {props.row.key ?? 'pending'}
      </span>
      <span class="row-title">
        <span class="row-title-text">{props.row.title}</span>
        <Show when={props.row.tags.length}>
          <span class="row-tags">
            <For each={props.row.tags.slice(0, 3)}>{(t) => <span class="tag">{t}</span>}</For>
          </span>
        </Show>
      </span>
      <span class="row-sev">
        <SeverityBadge severity={props.row.severity} />
      </span>
      <span class="row-status">
        <StatusBadge status={props.row.status} />
        <RowClocks row={props.row} now={props.now} />
      </span>
      <span class="row-assignee">{props.row.assignee ?? <span class="muted">Unassigned</span>}</span>
      <span class="row-updated" title={absoluteTime(props.row.updatedAt)}>
        {relativeTime(props.row.updatedAt, props.now)}
      </span>
    </Link>
  );
}

/** SLA and breach state badges for a row (state only; the countdown is on the incident page). */
function RowClocks(props: { row: IncidentSummary; now: number }): JSX.Element {
  const sla = () =>
    computeSla(
      {
        severity: props.row.severity,
        status: props.row.status,
        createdAt: props.row.createdAt,
        resolvedAt: props.row.resolvedAt ?? null,
        breach: props.row.breach ?? null,
      },
      props.now,
    );
  const slaState = () => (sla().response_state !== 'met' ? sla().response_state : sla().resolution_state);
  return (
    <>
      <Show when={slaState() === 'due_soon' || slaState() === 'overdue'}>
        <span class="clock" data-state={slaState()} data-testid="row-sla" title={`SLA ${CLOCK_STATE_LABELS[slaState()]}`}>
          SLA {CLOCK_STATE_LABELS[slaState()].toLowerCase()}
        </span>
      </Show>
      <Show when={sla().breach_state}>
        {(b) => (
          <span class="clock" data-state={b()} data-testid="row-breach" title={`Breach notification ${CLOCK_STATE_LABELS[b()]}`}>
            Breach {CLOCK_STATE_LABELS[b()].toLowerCase()}
          </span>
        )}
      </Show>
    </>
  );
}
