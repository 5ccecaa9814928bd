/**
 * The incident's threat-intel matches (GET /incidents/{id}/intel-matches): each observable that
 * matched an active indicator, with the indicator, its score, its sources, and whether it matched
 * on arrival or was found later when a feed added the indicator. Refreshed every minute while on
 * screen; feed strings are shown as text only. An incident the server has not projected yet is
 * pending ("Preparing…"), asked again as soon as its key arrives (create-server-ready.ts).
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import type { IntelMatch } from '../../local/intel-api.ts';
import { createPoller } from '../playbooks/create-poller.ts';
import { createServerReady, isIncidentPending, PENDING_RETRY_MS } from '../playbooks/create-server-ready.ts';
import { relativeTime } from '../time-format.ts';
import { useIntel } from './intel-context.tsx';
import { ScoreChip } from './score-chip.tsx';
import './intel.css';

export function IntelMatchesPanel(props: { incidentId: string }): JSX.Element {
  const app = useApp();
  const intel = useIntel();
  const [matches, setMatches] = createSignal<IntelMatch[] | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [pending, setPending] = createSignal(false);
  const poller = createPoller({
    intervalMs: () => (pending() ? PENDING_RETRY_MS : 60_000),
    async load() {
      const res = await intel.api.incidentMatches(props.incidentId);
      setPending(!res.ok && isIncidentPending(res.error));
      if (pending()) {
        setError(null);
        return;
      }
      if (!res.ok) {
        // Offline: keep what was shown; say why it may be out of date.
        setError(res.error.kind === 'network' ? 'Offline: matches shown as last loaded.' : res.error.message);
        return;
      }
      setError(null);
      setMatches([...res.value].sort((a, b) => b.score - a.score));
    },
  });

  createServerReady(
    () => props.incidentId,
    () => pending() && poller.now(),
  );

  return (
    <section class="card" aria-labelledby={`intel-matches-${props.incidentId}`} data-testid="intel-matches">
      <h2 id={`intel-matches-${props.incidentId}`}>Threat intel</h2>
      <Show when={error()}>
        {(msg) => (
          <p class="muted small" role="status">
            {msg()}
          </p>
        )}
      </Show>
      <Show
        when={matches()}
        fallback={
          <Show when={!error()}>
            <p class="muted" role="status" data-testid="intel-pending">
              {pending() ? 'Preparing… this incident is on its way to the server; its matches show as soon as it arrives.' : 'Loading matches…'}
            </p>
          </Show>
        }
      >
        {(items) => (
          <Show when={items().length > 0} fallback={<p class="muted">No observable of this incident matches a known indicator.</p>}>
            <ul class="intel-list">
              <For each={items()}>
                {(m) => (
                  <li class="intel-item" data-testid="intel-match" data-how={m.how}>
                    <div class="intel-item-text">
                      <span class="intel-value">{m.observable}</span>
                      <Show when={m.observable !== m.value}>
                        <span class="small muted">
                          matches {m.type} <span class="intel-value">{m.value}</span>
                        </span>
                      </Show>
                      <span class="small muted">
                        {m.source_names.join(', ') || 'no source named'} · {m.how === 'retro' ? 'found later' : 'on arrival'}{' '}
                        {relativeTime(m.matched_at, app.now())}
                      </span>
                    </div>
                    <ScoreChip score={m.score} />
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </section>
  );
}
