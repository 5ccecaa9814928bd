/**
 * "/metrics": how fast incidents are detected and handled over a time range, for leads. MTTD
 * (detected − occurred), MTTC (time to contain) and MTTR (time to resolve), from detection, or
 * creation when undetected, with the stamped times as leads corrected them, each as median and mean over the incidents that have both times, and the range's
 * incidents by status, severity and category. The figures are the server's (GET /api/v1/metrics);
 * offline the page says so and keeps the last figures it loaded for that range.
 */
import { createEffect, createMemo, createSignal, For, on, Show, type JSX } from 'solid-js';
import type { MetricsResponse } from '../../shared/incidents-api.ts';
import { CATEGORIES, SEVERITIES } from '../../shared/incident-schema.ts';
import { STATUSES } from '../../shared/workflow.ts';
import { useApp } from '../app-context.tsx';
import { categoryLabel, severityLabel, statusLabel } from '../components/labels.ts';
import { absoluteTime } from '../components/time-format.ts';
import { breakdownRows, formatMinutes, metricsRange, RANGE_PRESETS, type RangePreset } from './metrics-view.ts';

type Loaded = { metrics: MetricsResponse; at: number };
/** The last figures per range, kept for the session (shown, marked as such, when the server cannot answer). */
const lastLoaded = new Map<string, Loaded>();

export function MetricsPage(): JSX.Element {
  const app = useApp();
  const [choice, setChoice] = createSignal<RangePreset | 'custom'>('30d');
  const [custom, setCustom] = createSignal({ from: '', to: '' });
  const [loaded, setLoaded] = createSignal<Loaded | null>(lastLoaded.get('30d') ?? null);
  const [problem, setProblem] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const range = createMemo(() => metricsRange(choice(), custom(), Date.now()));
  const key = (): string => (choice() === 'custom' ? `custom:${custom().from}:${custom().to}` : choice());

  const load = async (): Promise<void> => {
    const r = range();
    if ('error' in r) return void setProblem(r.error);
    const k = key();
    setBusy(true);
    const res = await app.api.metrics(r);
    setBusy(false);
    if (k !== key()) return;
    if (res.ok) {
      const value = { metrics: res.value, at: Date.now() };
      lastLoaded.set(k, value);
      setLoaded(value);
      setProblem(null);
      return;
    }
    setLoaded(lastLoaded.get(k) ?? null);
    setProblem(res.error.kind === 'network' ? 'The server cannot be reached: metrics come from the server.' : res.error.message);
  };
  createEffect(on([choice, () => (choice() === 'custom' ? custom() : null)], () => void load()));

  return (
    <section class="list-page metrics-page" aria-labelledby="metrics-title" aria-busy={busy()}>
      <div class="page-head">
        <h1 id="metrics-title">Metrics</h1>
        <form class="metrics-range" onSubmit={(e) => e.preventDefault()}>
          <label>
            <span class="visually-hidden">Range</span>
            <select value={choice()} onChange={(e) => setChoice(e.currentTarget.value as RangePreset | 'custom')} data-testid="metrics-range">
              <For each={RANGE_PRESETS}>{(p) => <option value={p.id}>{p.label}</option>}</For>
              <option value="custom">Between two dates</option>
            </select>
          </label>
          <Show when={choice() === 'custom'}>
            <label>
              From{' '}
              <input type="date" value={custom().from} onChange={(e) => setCustom({ ...custom(), from: e.currentTarget.value })} data-testid="metrics-from" />
            </label>
            <label>
              to <input type="date" value={custom().to} onChange={(e) => setCustom({ ...custom(), to: e.currentTarget.value })} data-testid="metrics-to" />
            </label>
          </Show>
        </form>
      </div>
      <Show when={problem()}>
        {(p) => (
          <p class="warning" role="status" data-testid="metrics-problem">
            {p()}
            {loaded() ? ` Showing the figures loaded at ${new Date(loaded()!.at).toLocaleTimeString()}.` : ''}
          </p>
        )}
      </Show>
      <Show
        when={loaded()}
        fallback={
          <Show when={!problem()}>
            <p class="empty">Loading metrics…</p>
          </Show>
        }
      >
        {(l) => <MetricsBody metrics={l().metrics} />}
      </Show>
    </section>
  );
}

function MetricsBody(props: { metrics: MetricsResponse }): JSX.Element {
  const m = (): MetricsResponse => props.metrics;
  return (
    <>
      <p class="muted">
        Incidents created from {absoluteTime(m().from)} to {absoluteTime(m().to)}.
      </p>
      <div class="metrics-cards">
        <div class="card metrics-card" data-testid="metric-incidents">
          <h2>Incidents</h2>
          <p class="metrics-value">{m().incidents}</p>
        </div>
        <Duration testId="metric-mttd" title="Time to detect (MTTD)" stats={m().mttd} help="from when it happened to when it was detected" />
        <Duration testId="metric-mttc" title="Time to contain (MTTC)" stats={m().mttc} help="from detection to containment (as a lead corrected it)" />
        <Duration testId="metric-mttr-resolution" title="Time to resolve (MTTR)" stats={m().mttr_resolution} help="from detection to resolution" />
      </div>
      <div class="metrics-breakdowns">
        <Breakdown title="By status" rows={breakdownRows(m().by_status, STATUSES)} label={statusLabel} testId="metrics-by-status" />
        <Breakdown title="By severity" rows={breakdownRows(m().by_severity, SEVERITIES)} label={severityLabel} testId="metrics-by-severity" />
        <Breakdown title="By category" rows={breakdownRows(m().by_category, CATEGORIES)} label={categoryLabel} testId="metrics-by-category" />
      </div>
    </>
  );
}

function Duration(props: { title: string; help: string; testId: string; stats: MetricsResponse['mttd'] }): JSX.Element {
  return (
    <div class="card metrics-card" data-testid={props.testId}>
      <h2>{props.title}</h2>
      <p class="metrics-value" data-testid="metric-median">
        {formatMinutes(props.stats.median_minutes)}
      </p>
      <p class="muted small">
        <Show when={props.stats.n > 0} fallback={<>No incident in the range has both times yet.</>}>
          median over {props.stats.n} incident{props.stats.n === 1 ? '' : 's'}, mean {formatMinutes(props.stats.mean_minutes)}; {props.help}
        </Show>
      </p>
    </div>
  );
}

function Breakdown<K extends string>(props: {
  title: string;
  testId: string;
  rows: { key: K; n: number; share: number }[];
  label: (k: K) => string;
}): JSX.Element {
  return (
    <section class="card metrics-breakdown" data-testid={props.testId}>
      <h2>{props.title}</h2>
      <Show when={props.rows.length > 0} fallback={<p class="muted small">No incidents.</p>}>
        <table class="metrics-table">
          <tbody>
            <For each={props.rows}>
              {(r) => (
                <tr data-key={r.key}>
                  <th scope="row">{props.label(r.key)}</th>
                  <td class="metrics-bar-cell" aria-hidden="true">
                    <span class="metrics-bar" style={{ width: `${Math.max(2, Math.round(r.share * 100))}%` }} />
                  </td>
                  <td class="metrics-n">{r.n}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}
