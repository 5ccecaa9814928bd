/**
 * "/alerts": recent alerts from the server (filter by source, status, incident; paged), each
 * with its score, how many times it was seen (deduplication) and the incident it opened or
 * joined. The last page seen is kept on the device and shown "as of" its time when offline.
 */
import { Link, useNavigate, useSearch } from '@tanstack/solid-router';
import { createEffect, createSignal, For, on, Show, type JSX } from 'solid-js';
import { isUuid } from '../../shared/ids.ts';
import { useApp } from '../app-context.tsx';
import { createLiveQuery } from '../primitives/create-live-query.ts';
import { absoluteTime, relativeTime } from '../components/time-format.ts';
import { loadAlertPage, saveAlertPage } from '../local/alert-cache.ts';
import type { AlertItem } from '../local/incident-api.ts';
import { alertCount, alertReceivedAt } from './alert-fields.ts';
import type { AlertSearch } from './alert-search.ts';

const PAGE_SIZE = 50;

type View =
  | { kind: 'loading' }
  | { kind: 'live'; items: AlertItem[]; next: string | null; at: string }
  | { kind: 'cached'; items: AlertItem[]; at: string; reason: string }
  | { kind: 'failed'; reason: string };

export function AlertsPage(): JSX.Element {
  const app = useApp();
  const search = useSearch({ from: '/alerts' });
  const navigate = useNavigate({ from: '/alerts' });
  const [view, setView] = createSignal<View>({ kind: 'loading' });
  const [source, setSource] = createSignal(search().source);
  const [incident, setIncident] = createSignal(search().incident);

  const load = async (s: AlertSearch): Promise<void> => {
    const filterKey = JSON.stringify(s);
    // The incident filter takes a key (IR-2026-0042) or an id; the server wants the id.
    let incidentId: string | undefined;
    if (s.incident) {
      incidentId = isUuid(s.incident) ? s.incident : (await app.engine.db.incidents.where('key').equals(s.incident.toUpperCase()).first())?.id;
      if (!incidentId) {
        setView({ kind: 'failed', reason: `No incident ${s.incident} on this device.` });
        return;
      }
    }
    const res = await app.api.alerts({
      source: s.source || undefined,
      status: s.status || undefined,
      incident_id: incidentId,
      before: s.before || undefined,
      limit: PAGE_SIZE,
    });
    const at = new Date().toISOString();
    if (res.ok) {
      setView({ kind: 'live', items: res.value.items, next: res.value.next, at });
      await saveAlertPage(app.engine.db, { at, filterKey, items: res.value.items, next: res.value.next }).catch(() => undefined);
      return;
    }
    const reason = res.error.kind === 'network' ? 'The server cannot be reached.' : res.error.message;
    const cached = await loadAlertPage(app.engine.db).catch(() => null);
    if (cached && (res.error.kind === 'network' || (res.error.kind === 'http' && res.error.status >= 500)))
      setView({ kind: 'cached', items: cached.items, at: cached.at, reason });
    else setView({ kind: 'failed', reason });
  };
  createEffect(on(search, (s) => void load(s)));

  const update = (patch: Partial<AlertSearch>): void => {
    void navigate({ search: { ...search(), before: '', ...patch }, replace: true });
  };
  const items = (): AlertItem[] => {
    const v = view();
    return v.kind === 'live' || v.kind === 'cached' ? v.items : [];
  };
  // The incidents' keys, from this device's index.
  const keys = createLiveQuery(
    () => [...new Set(items().flatMap((a) => (a.incident_id ? [a.incident_id] : [])))],
    async (ids) => {
      const rows = await app.engine.db.incidents.bulkGet(ids);
      return new Map(rows.flatMap((r) => (r?.key ? [[r.id, r.key] as const] : [])));
    },
    new Map<string, string>(),
  );

  return (
    <section class="list-page" aria-labelledby="alerts-title">
      <div class="page-head">
        <h1 id="alerts-title">Alerts</h1>
        <Show when={view().kind === 'live'}>
          <button type="button" class="btn" onClick={() => void load(search())} data-testid="alerts-refresh">
            Refresh
          </button>
        </Show>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          update({ source: source().trim(), incident: incident().trim() });
        }}
      >
        <div class="field">
          <label for="alerts-source">Source</label>
          <input
            id="alerts-source"
            type="text"
            value={source()}
            onInput={(e) => setSource(e.currentTarget.value)}
            placeholder="e.g. suricata"
            data-testid="alerts-source"
          />
        </div>
        <div class="field">
          <label for="alerts-status">Outcome</label>
          <select id="alerts-status" value={search().status} onChange={(e) => update({ status: e.currentTarget.value })} data-testid="alerts-status">
            <option value="">Any</option>
            <option value="created">Opened an incident</option>
            <option value="correlated">Joined an incident</option>
            <option value="unlinked">No incident (below the threshold)</option>
          </select>
        </div>
        <div class="field">
          <label for="alerts-incident">Incident</label>
          <input id="alerts-incident" type="text" value={incident()} onInput={(e) => setIncident(e.currentTarget.value)} placeholder="IR-2026-0042 or id" />
        </div>
        <button type="submit" class="btn primary">
          Filter
        </button>
      </form>
      <Show
        when={(() => {
          const v = view();
          return v.kind === 'cached' ? v : null;
        })()}
      >
        {(v) => (
          <div class="warning" role="status" data-testid="alerts-offline">
            <strong>Offline:</strong> showing the alerts as of {absoluteTime(v().at)} ({v().reason})
          </div>
        )}
      </Show>
      <Show
        when={(() => {
          const v = view();
          return v.kind === 'failed' ? v : null;
        })()}
      >
        {(v) => (
          <div class="warning danger" role="alert">
            The alerts could not be loaded: {v().reason}
          </div>
        )}
      </Show>
      <Show when={view().kind !== 'loading'} fallback={<p class="empty">Loading alerts…</p>}>
        <Show when={items().length > 0} fallback={<p class="empty">No alerts match.</p>}>
          <div class="card table-wrap">
            <table class="data-table" data-testid="alerts-table">
              <thead>
                <tr>
                  <th>Received</th>
                  <th>Alert</th>
                  <th>Source</th>
                  <th class="num">Score</th>
                  <th class="num">Seen</th>
                  <th>Incident</th>
                </tr>
              </thead>
              <tbody>
                <For each={items()}>
                  {(a) => <AlertRow alert={a} now={app.now()} incidentKey={a.incident_id ? (keys.value().get(a.incident_id) ?? null) : null} />}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
        <div class="row-actions">
          <Show when={search().before}>
            <button type="button" class="btn" onClick={() => update({})}>
              First page
            </button>
          </Show>
          <Show
            when={(() => {
              const v = view();
              return v.kind === 'live' && v.next !== null;
            })()}
          >
            <button
              type="button"
              class="btn"
              data-testid="alerts-next"
              onClick={() => {
                const v = view();
                if (v.kind === 'live' && v.next) update({ before: v.next });
              }}
            >
              Next page
            </button>
          </Show>
        </div>
      </Show>
    </section>
  );
}

function AlertRow(props: { alert: AlertItem; now: number; incidentKey: string | null }): JSX.Element {
  const received = (): string | null => alertReceivedAt(props.alert);
  return (
    <tr data-testid="alert-row">
      <td title={absoluteTime(received())}>{received() ? relativeTime(received() ?? '', props.now) : '—'}</td>
      <td>
        <Link to="/alerts/$id" params={{ id: props.alert.id }} data-testid="alert-link">
          {props.alert.title || '(no title)'}
        </Link>
        <div class="muted small">{props.alert.type}</div>
      </td>
      <td>{props.alert.source}</td>
      <td class="num" data-testid="alert-score">
        {props.alert.score == null ? '—' : Math.round(props.alert.score)}
      </td>
      <td class="num" data-testid="alert-count">
        {alertCount(props.alert)}×
      </td>
      <td>
        <Show when={props.alert.incident_id} fallback={<span class="muted">—</span>}>
          {(id) => (
            <Link to="/incidents/$id" params={{ id: id() }} data-testid="alert-incident">
              {props.alert.incident_key ?? props.incidentKey ?? 'Open incident'}
            </Link>
          )}
        </Show>
        <Show when={props.alert.status}>{(s) => <div class="muted small">{s()}</div>}</Show>
      </td>
    </tr>
  );
}
