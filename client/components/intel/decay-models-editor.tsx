/**
 * The decay models (GET/PUT /intel/decay-models): per indicator type its lifetime, decay speed
 * and threshold, with what they mean for a fully confident indicator at half and three quarters
 * of its lifetime (shared decayedScore, the formula the server uses). Types the server has no row
 * for show the shipped defaults.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { decayedScore, decayModelSchema, DEFAULT_DECAY_MODELS, INDICATOR_TYPES, type DecayModel } from '../../../shared/intel-api.ts';
import { LoadError } from '../load-error.tsx';
import { useIntel } from './intel-context.tsx';
import { AlertMessage } from '../alert-message.tsx';

type Row = { type: DecayModel['type']; lifetime_days: string; speed: string; threshold: string };

function rowsOf(models: readonly DecayModel[]): Row[] {
  return INDICATOR_TYPES.map((type) => {
    const m = models.find((x) => x.type === type) ?? { type, ...DEFAULT_DECAY_MODELS[type] };
    return { type, lifetime_days: String(m.lifetime_days), speed: String(m.speed), threshold: String(m.threshold) };
  });
}

export function DecayModelsEditor(): JSX.Element {
  const intel = useIntel();
  const [rows, setRows] = createStore<Row[]>(rowsOf([]));
  const [error, setError] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [loaded] = createResource(async () => {
    const res = await intel.api.decayModels();
    if (!res.ok) throw new Error(res.error.message);
    setRows(reconcile(rowsOf(res.value)));
    return true;
  });
  const parse = (r: Row) =>
    decayModelSchema.safeParse({ type: r.type, lifetime_days: Number(r.lifetime_days), speed: Number(r.speed), threshold: Number(r.threshold) });
  const preview = (r: Row): string => {
    const m = parse(r);
    if (!m.success) return '—';
    const life = m.data.lifetime_days * 86_400_000;
    return `${Math.round(decayedScore(100, life / 2, m.data))} / ${Math.round(decayedScore(100, life * 0.75, m.data))}`;
  };

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    setNotice(null);
    const parsed = rows.map(parse);
    const bad = parsed.findIndex((p) => !p.success);
    if (bad >= 0) {
      const issue = parsed[bad]?.error?.issues[0];
      setError(`${rows[bad]?.type}: ${String(issue?.path[0] ?? '')} ${issue?.message ?? 'invalid'}`);
      return;
    }
    const res = await intel.api.putDecayModels(parsed.flatMap((p) => (p.success ? [p.data] : [])));
    setError(res.ok ? null : res.error.message);
    if (res.ok) setNotice('Decay models saved. Scores use them from now on.');
  };

  return (
    <form class="card" onSubmit={(e) => void save(e)} aria-labelledby="decay-title" data-testid="decay-models">
      <h2 id="decay-title">Decay models</h2>
      <p class="muted small">
        score = confidence × (1 − (age ÷ lifetime)^(1 ÷ speed)), age from the last sighting. Below the threshold an indicator is no longer matched or blocked
        but stays searchable.
      </p>
      <LoadError what="The decay models" error={loaded.error} />
      <div class="table-wrap">
        <table class="admin-table">
          <thead>
            <tr>
              <th>Type</th>
              <th>Lifetime (days)</th>
              <th>Speed</th>
              <th>Threshold</th>
              <th>Score at ½ / ¾ lifetime</th>
            </tr>
          </thead>
          <tbody>
            <For each={rows}>
              {(r, i) => (
                <tr>
                  <td>{r.type}</td>
                  <td>
                    <input
                      aria-label={`${r.type} lifetime in days`}
                      type="number"
                      min="1"
                      max="3650"
                      step="any"
                      value={r.lifetime_days}
                      onInput={(e) => setRows(i(), 'lifetime_days', e.currentTarget.value)}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`${r.type} speed`}
                      type="number"
                      min="0.1"
                      max="10"
                      step="any"
                      value={r.speed}
                      onInput={(e) => setRows(i(), 'speed', e.currentTarget.value)}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`${r.type} threshold`}
                      type="number"
                      min="0"
                      max="100"
                      step="any"
                      value={r.threshold}
                      onInput={(e) => setRows(i(), 'threshold', e.currentTarget.value)}
                    />
                  </td>
                  <td class="num">{preview(r)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <AlertMessage message={error()} class="warning danger" />
      <Show when={notice()}>
        {(m) => (
          <p class="muted" role="status">
            {m()}
          </p>
        )}
      </Show>
      <button type="submit" class="btn primary" disabled={!loaded()} data-testid="decay-save">
        Save decay models
      </button>
    </form>
  );
}
