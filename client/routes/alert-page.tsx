/**
 * "/alerts/$id": one alert: its normalized fields, the score with its explanation, the incident
 * it opened or joined, and the payload exactly as the tool sent it (JSON as text in a <pre>).
 * Read from the device when the server cannot be reached and it was seen before.
 */
import { Link, useParams } from '@tanstack/solid-router';
import { createResource, Show, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { RiskFactorList } from '../components/risk-factors.tsx';
import { absoluteTime } from '../components/time-format.ts';
import { loadAlertDetail, saveAlertDetail } from '../local/alert-cache.ts';
import type { AlertItem } from '../local/incident-api.ts';
import { alertCount, alertFactors, prettyJson } from './alert-fields.ts';

type Loaded = { kind: 'live'; alert: AlertItem } | { kind: 'cached'; alert: AlertItem; at: string } | { kind: 'failed'; reason: string };

export function AlertPage(): JSX.Element {
  const app = useApp();
  const params = useParams({ from: '/alerts/$id' });
  const [loaded] = createResource(
    () => params().id,
    async (id): Promise<Loaded> => {
      const res = await app.api.alert(id);
      if (res.ok) {
        await saveAlertDetail(app.engine.db, res.value, new Date().toISOString()).catch(() => undefined);
        return { kind: 'live', alert: res.value };
      }
      if (res.error.kind === 'network') {
        const cached = await loadAlertDetail(app.engine.db, id).catch(() => null);
        if (cached) return { kind: 'cached', ...cached };
      }
      return {
        kind: 'failed',
        reason: res.error.kind === 'network' ? 'The server cannot be reached and this alert is not on this device.' : res.error.message,
      };
    },
  );
  return (
    <section class="form-page" aria-labelledby="alert-title">
      <div class="page-head">
        <h1 id="alert-title">Alert</h1>
        <Link to="/alerts" class="btn" search={{ source: '', status: '', incident: '', before: '' }}>
          All alerts
        </Link>
      </div>
      <Show when={loaded()} fallback={<p class="empty">Loading the alert…</p>}>
        {(l) => (
          <Show
            when={(() => {
              const v = l();
              return v.kind !== 'failed' ? v : null;
            })()}
            fallback={
              <div class="warning danger" role="alert">
                {(() => {
                  const v = l();
                  return v.kind === 'failed' ? v.reason : '';
                })()}
              </div>
            }
          >
            {(v) => <AlertDetail alert={v().alert} cachedAt={v().kind === 'cached' ? (v() as { at: string }).at : null} />}
          </Show>
        )}
      </Show>
    </section>
  );
}

function AlertDetail(props: { alert: AlertItem; cachedAt: string | null }): JSX.Element {
  const a = (): AlertItem => props.alert;
  return (
    <div class="alert-detail" data-testid="alert-detail">
      <Show when={props.cachedAt}>
        {(at) => (
          <div class="warning" role="status">
            <strong>Offline:</strong> as of {absoluteTime(at())}.
          </div>
        )}
      </Show>
      <section class="card">
        <h2 data-testid="alert-detail-title">{a().title || '(no title)'}</h2>
        <Show when={a().description}>{(d) => <p>{d()}</p>}</Show>
        <dl class="kv">
          <dt>Source</dt>
          <dd>{a().source}</dd>
          <dt>Type</dt>
          <dd>{a().type}</dd>
          <dt>Outcome</dt>
          <dd>{a().status ?? '—'}</dd>
          <dt>Seen</dt>
          <dd>{alertCount(a())} time(s)</dd>
          <dt>Occurred</dt>
          <dd>{absoluteTime(a().observed_at ?? null)}</dd>
          <dt>Detected</dt>
          <dd>{absoluteTime(a().detected_at ?? null)}</dd>
          <dt>Received</dt>
          <dd>{absoluteTime(a().received_at ?? null)}</dd>
          <dt>Incident</dt>
          <dd>
            <Show when={a().incident_id} fallback="—">
              {(id) => (
                <Link to="/incidents/$id" params={{ id: id() }} data-testid="alert-detail-incident">
                  {a().incident_key ?? id()}
                </Link>
              )}
            </Show>
          </dd>
        </dl>
      </section>
      <section class="card">
        <h2>
          Score <span data-testid="alert-detail-score">{a().score == null ? '—' : Math.round(a().score ?? 0)}</span>
          <Show when={a().severity}>{(s) => <span class="muted"> · {s()}</span>}</Show>
        </h2>
        <RiskFactorList factors={alertFactors(a())} emptyText="No explanation recorded." />
      </section>
      <Show when={a().normalized !== undefined}>
        <section class="card">
          <h2>Normalized</h2>
          <pre class="raw-json">{prettyJson(a().normalized)}</pre>
        </section>
      </Show>
      <section class="card">
        <h2>As received</h2>
        <pre class="raw-json" data-testid="alert-raw">
          {prettyJson(a().raw ?? null)}
        </pre>
      </section>
    </div>
  );
}
