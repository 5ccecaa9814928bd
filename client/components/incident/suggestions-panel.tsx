/**
 * Suggested recommendations (shared/review-suggestions.ts) beside the post-incident review: each
 * rule that fires, with the figure that triggered it. Accept adds an action item and records the
 * decision; dismiss records who dismissed it and when. Both are edits of the local document, so
 * they work offline; a decided suggestion does not come back. Read-only without incident:write.
 */
import { createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addActionItem, observeIncident, readMeta, readTimeline } from '../../../shared/incident-doc.ts';
import {
  decideSuggestion,
  observeSuggestionDecisions,
  readSuggestionDecisions,
  suggestRecommendations,
  type Suggestion,
} from '../../../shared/review-suggestions.ts';
import { useApp } from '../../app-context.tsx';
import { CLIENT_SLA_POLICY } from '../sla-badge.tsx';

function compute(doc: Y.Doc): { open: Suggestion[]; decided: number } {
  const decisions = readSuggestionDecisions(doc);
  const all = suggestRecommendations({ meta: readMeta(doc), timeline: readTimeline(doc), policy: CLIENT_SLA_POLICY });
  return { open: all.filter((s) => !decisions.has(s.rule)), decided: all.length - all.filter((s) => !decisions.has(s.rule)).length };
}

export function SuggestionsPanel(props: { doc: Y.Doc; readOnly: boolean }): JSX.Element {
  const app = useApp();
  const [state, setState] = createSignal(compute(props.doc));
  const [error, setError] = createSignal<string | null>(null);
  // Recomputed after changes settle: reading the whole timeline on every keystroke would be wasteful.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => setState(compute(props.doc)), 500);
  };
  onCleanup(observeIncident(props.doc, refresh));
  onCleanup(observeSuggestionDecisions(props.doc, () => setState(compute(props.doc))));
  onCleanup(() => clearTimeout(timer));

  const accept = (s: Suggestion): void => {
    const r = addActionItem(props.doc, { title: s.title, owner: null, due: null, type: s.type }, app.authorName());
    if (!r.ok) return void setError(r.error);
    decideSuggestion(props.doc, s.rule, 'accepted', app.authorName(), r.value);
    setError(null);
  };

  return (
    <section class="card suggestions" aria-labelledby="suggestions-title" data-testid="suggestions-panel">
      <h2 id="suggestions-title">Suggested recommendations</h2>
      <p class="muted small">Rules over this incident's own figures; each names what triggered it.</p>
      <Show when={state().open.length > 0} fallback={<p class="muted">No open suggestions{state().decided ? ` (${state().decided} decided)` : ''}.</p>}>
        <ul class="suggestion-list">
          <For each={state().open}>
            {(s) => (
              <li data-testid="suggestion" data-rule={s.rule}>
                <strong>{s.title}</strong> <span class="muted small">({s.type})</span>
                <p class="small">Because: {s.figure}</p>
                <Show when={!props.readOnly}>
                  <button type="button" class="btn" onClick={() => accept(s)} data-testid="suggestion-accept">
                    Accept as action item
                  </button>{' '}
                  <button
                    type="button"
                    class="btn secondary"
                    onClick={() => decideSuggestion(props.doc, s.rule, 'dismissed', app.authorName())}
                    data-testid="suggestion-dismiss"
                  >
                    Dismiss
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={error()}>
        {(msg) => (
          <p class="warning" role="alert">
            {msg()}
          </p>
        )}
      </Show>
    </section>
  );
}
