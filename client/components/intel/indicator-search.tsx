/**
 * Indicator search (GET /indicators): a text filter (prefix/contains on the value) with type,
 * minimum score, active and tag filters, paged 50 at a time; a row opens the indicator's detail.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { INDICATOR_TYPES, type IndicatorType } from '../../../shared/intel-api.ts';
import type { SearchAnswer, SearchFilter } from '../../local/intel-api.ts';
import { LoadError } from '../load-error.tsx';
import { relativeTime } from '../time-format.ts';
import { useApp } from '../../app-context.tsx';
import { useIntel } from './intel-context.tsx';
import { ScoreChip } from './score-chip.tsx';

const LIMIT = 50;
const isType = (v: string): v is IndicatorType => (INDICATOR_TYPES as readonly string[]).includes(v);

export function IndicatorSearch(props: { onOpen: (id: number) => void }): JSX.Element {
  const app = useApp();
  const intel = useIntel();
  const [q, setQ] = createSignal('');
  const [type, setType] = createSignal<IndicatorType | ''>('');
  const [minScore, setMinScore] = createSignal('');
  const [active, setActive] = createSignal<'' | 'true' | 'false'>('');
  const [tag, setTag] = createSignal('');
  const [filter, setFilter] = createSignal<SearchFilter | null>(null);
  const [answer] = createResource(filter, async (f): Promise<SearchAnswer> => {
    const res = await intel.api.search(f);
    if (!res.ok) throw new Error(res.error.kind === 'network' ? 'offline (search needs the server; the lookup above works offline)' : res.error.message);
    return res.value;
  });

  const submit = (e: SubmitEvent, offset = 0): void => {
    e.preventDefault();
    const score = minScore().trim() === '' ? undefined : Math.min(100, Math.max(0, Number(minScore())));
    setFilter({
      q: q().trim() || undefined,
      type: type() || undefined,
      min_score: Number.isFinite(score) ? score : undefined,
      active: active() || undefined,
      tag: tag().trim() || undefined,
      limit: LIMIT,
      offset,
    });
  };
  const page = (delta: number): void => {
    const f = filter();
    if (f) setFilter({ ...f, offset: Math.max(0, (f.offset ?? 0) + delta * LIMIT) });
  };

  return (
    <section class="card" aria-labelledby="intel-search-title">
      <h2 id="intel-search-title">Search indicators</h2>
      <form class="filters admin-form" onSubmit={(e) => submit(e)} aria-label="Search indicators">
        <div class="form-field">
          <label for="intel-q">Value contains</label>
          <input id="intel-q" type="search" maxLength={2048} value={q()} onInput={(e) => setQ(e.currentTarget.value)} data-testid="intel-search-q" />
        </div>
        <div class="form-field">
          <label for="intel-type">Type</label>
          <select id="intel-type" value={type()} onChange={(e) => setType(isType(e.currentTarget.value) ? e.currentTarget.value : '')}>
            <option value="">Any</option>
            <For each={INDICATOR_TYPES}>{(t) => <option value={t}>{t}</option>}</For>
          </select>
        </div>
        <div class="form-field">
          <label for="intel-min">Min score</label>
          <input id="intel-min" type="number" min="0" max="100" value={minScore()} onInput={(e) => setMinScore(e.currentTarget.value)} />
        </div>
        <div class="form-field">
          <label for="intel-active">State</label>
          <select
            id="intel-active"
            value={active()}
            onChange={(e) => setActive(e.currentTarget.value === 'true' || e.currentTarget.value === 'false' ? e.currentTarget.value : '')}
          >
            <option value="">Any</option>
            <option value="true">Active</option>
            <option value="false">Inactive</option>
          </select>
        </div>
        <div class="form-field">
          <label for="intel-tag">Tag</label>
          <input id="intel-tag" type="text" maxLength={64} value={tag()} onInput={(e) => setTag(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn primary" data-testid="intel-search">
          Search
        </button>
      </form>
      <LoadError what="The search" error={answer.error} />
      <Show when={answer()}>
        {(a) => (
          <>
            <p class="muted small" role="status">
              {a().total !== null ? `${a().total?.toLocaleString('en')} indicators` : `${a().items.length} shown`}
              {(filter()?.offset ?? 0) > 0 ? ` · from #${(filter()?.offset ?? 0) + 1}` : ''}
            </p>
            <div class="table-wrap">
              <table class="admin-table">
                <thead>
                  <tr>
                    <th>Value</th>
                    <th>Type</th>
                    <th>Score</th>
                    <th>Tags</th>
                    <th>Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={a().items}>
                    {(ind) => (
                      <tr data-testid="intel-search-row">
                        <td>
                          <button type="button" class="link-btn intel-value" onClick={() => props.onOpen(ind.id)}>
                            {ind.value}
                          </button>
                        </td>
                        <td>{ind.type}</td>
                        <td>
                          <ScoreChip score={ind.score} active={ind.active} />
                        </td>
                        <td class="small">{[...ind.tags, ...ind.malware].join(', ') || '—'}</td>
                        <td class="small">{relativeTime(ind.last_seen, app.now())}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <div class="form-actions">
              <button type="button" class="btn" disabled={(filter()?.offset ?? 0) === 0} onClick={() => page(-1)}>
                Previous
              </button>
              <button type="button" class="btn" disabled={a().items.length < LIMIT} onClick={() => page(1)}>
                Next
              </button>
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
