/**
 * The lookup answers as a table: each pasted value, its detected type and canonical form, and
 * the indicators it matches (score, active, sources, tags, malware, ATT&CK techniques). Values
 * that match come first; long answers show the first rows with a way to show the rest. All
 * strings are feed or user input: rendered as text.
 */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import { summarize, type LookupRow, type MatchView } from './lookup-rows.ts';
import { ScoreChip } from './score-chip.tsx';

const PAGE = 500;

export function LookupResults(props: { rows: LookupRow[]; onOpen?: (id: number) => void }): JSX.Element {
  const [onlyMatches, setOnlyMatches] = createSignal(true);
  const [shown, setShown] = createSignal(PAGE);
  const counts = createMemo(() => summarize(props.rows));
  const visible = createMemo(() => {
    const rows = onlyMatches()
      ? props.rows.filter((r) => r.matches.length > 0)
      : [...props.rows].sort((a, b) => Number(b.matches.length > 0) - Number(a.matches.length > 0));
    return rows;
  });

  return (
    <div data-testid="intel-lookup-results">
      <p role="status">
        <strong>{counts().matched.toLocaleString('en')}</strong> of {counts().values.toLocaleString('en')} values match
        {counts().notIndicators > 0 ? ` · ${counts().notIndicators.toLocaleString('en')} not recognised as an indicator` : ''}.{' '}
        <label class="check">
          <input type="checkbox" checked={onlyMatches()} onChange={(e) => setOnlyMatches(e.currentTarget.checked)} data-testid="intel-only-matches" /> Only
          matches
        </label>
      </p>
      <Show when={visible().length > 0}>
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th>Value</th>
                <th>Type</th>
                <th>Matches</th>
              </tr>
            </thead>
            <tbody>
              <For each={visible().slice(0, shown())}>
                {(row) => (
                  <tr
                    class={row.matches.length > 0 ? 'intel-row-hit' : undefined}
                    data-testid="intel-lookup-row"
                    data-matched={row.matches.length > 0 ? 'true' : 'false'}
                  >
                    <td>
                      <div class="intel-value">{row.value}</div>
                      <Show when={row.canonical !== null && row.canonical !== row.value}>
                        <div class="small muted intel-value">{row.canonical}</div>
                      </Show>
                    </td>
                    <td>{row.type ?? <span class="muted">not an indicator</span>}</td>
                    <td>
                      <Show when={row.matches.length > 0} fallback={<span class="muted">—</span>}>
                        <ul class="intel-list">
                          <For each={row.matches}>{(m) => <MatchLine match={m} onOpen={props.onOpen} />}</For>
                        </ul>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <Show when={visible().length > shown()}>
        <button type="button" class="btn" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, visible().length - shown())} more of {(visible().length - shown()).toLocaleString('en')}
        </button>
      </Show>
    </div>
  );
}

function MatchLine(props: { match: MatchView; onOpen?: (id: number) => void }): JSX.Element {
  const m = (): MatchView => props.match;
  const extra = (): string =>
    [
      m().tags.length ? `tags ${m().tags.join(', ')}` : '',
      m().malware.length ? `malware ${m().malware.join(', ')}` : '',
      m().techniques.length ? m().techniques.join(', ') : '',
    ]
      .filter((s) => s !== '')
      .join(' · ');
  return (
    <li class="intel-item">
      <div class="intel-item-text">
        <span>
          {m().type} <span class="intel-value">{m().value}</span>
          <Show when={!m().active}>
            <span class="muted small"> (inactive)</span>
          </Show>
        </span>
        <Show when={m().sources.length > 0}>
          <span class="small muted">{m().sources.join(', ')}</span>
        </Show>
        <Show when={extra()}>
          <span class="small muted">{extra()}</span>
        </Show>
      </div>
      <span>
        <ScoreChip score={m().score} active={m().active} />{' '}
        <Show when={m().id !== null && props.onOpen}>
          <button type="button" class="link-btn" onClick={() => props.onOpen?.(m().id ?? 0)}>
            Details
          </button>
        </Show>
      </span>
    </li>
  );
}
