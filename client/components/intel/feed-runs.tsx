/**
 * A feed's runs: "Run now", the latest run's live progress (GET /feeds/{id}/runs polled every
 * second while a run is queued or running: parsed count, bytes read of the total; the outcome
 * then shows in the feed's "Last run" line), the last run's skipped samples, and the run history.
 * Skipped samples are feed content: shown as text only.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type { Feed, FeedRun } from '../../../shared/intel-api.ts';
import { createPoller } from '../playbooks/create-poller.ts';
import { absoluteTime } from '../time-format.ts';
import { isMoving, runProgress } from './feed-run-view.ts';
import { useIntel } from './intel-context.tsx';
import { AlertMessage } from '../alert-message.tsx';

export function FeedRuns(props: { feed: Feed; onFinished: () => void }): JSX.Element {
  const intel = useIntel();
  const [runs, setRuns] = createSignal<FeedRun[] | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [starting, setStarting] = createSignal(false);
  const latest = (): FeedRun | null => runs()?.[0] ?? null;

  const poller = createPoller({
    intervalMs: () => (starting() || isMoving(latest()) ? 1_000 : 30_000),
    async load() {
      const res = await intel.api.feedRuns(props.feed.id);
      if (!res.ok) {
        setError(res.error.message);
        return;
      }
      const wasMoving = isMoving(latest());
      // Newest first; a queued run (not started yet) is the newest.
      const key = (r: FeedRun): string => r.started_at ?? '~';
      const next = [...res.value].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
      setError(null);
      setRuns(next);
      if (isMoving(next[0])) setStarting(false);
      if (wasMoving && !isMoving(next[0])) props.onFinished();
    },
  });

  const runNow = async (): Promise<void> => {
    setStarting(true);
    const res = await intel.api.runFeed(props.feed.id);
    if (!res.ok) {
      setStarting(false);
      setError(res.error.message);
      return;
    }
    poller.now();
  };

  return (
    <div class="intel-progress" data-testid="feed-runs">
      <Show when={props.feed.url !== null}>
        <div class="form-actions">
          <button type="button" class="btn" disabled={starting() || isMoving(latest())} onClick={() => void runNow()} data-testid="feed-run-now">
            Run now
          </button>
        </div>
      </Show>
      <AlertMessage message={error()} class="intel-error" />
      <Show when={latest()}>
        {(run) => (
          <div role="status" aria-live="polite" data-testid="feed-run-latest" data-state={run().state}>
            <Show when={isMoving(run())}>
              <Show when={runProgress(run()).fraction} fallback={<progress aria-label="Feed run progress" />}>
                {(fr) => <progress aria-label="Feed run progress" max="1" value={fr()} />}
              </Show>
              <p class="small" data-testid="feed-run-progress">
                {runProgress(run()).text}
              </p>
            </Show>
            <Show when={run().skipped_samples.length > 0}>
              <details>
                <summary>{run().skipped.toLocaleString('en')} skipped — samples</summary>
                <ul class="intel-samples">
                  <For each={run().skipped_samples}>
                    {(s) => (
                      <li>
                        {s.line !== null ? `line ${s.line}: ` : ''}
                        <code>{s.text}</code> — {s.reason}
                      </li>
                    )}
                  </For>
                </ul>
              </details>
            </Show>
          </div>
        )}
      </Show>
      <Show when={(runs()?.length ?? 0) > 0}>
        <details>
          <summary>Run history ({runs()?.length})</summary>
          <div class="table-wrap">
            <table class="admin-table">
              <thead>
                <tr>
                  <th>Started</th>
                  <th>State</th>
                  <th>Parsed</th>
                  <th title="Malware, actors, attack patterns, vulnerabilities: not indicators">Objects</th>
                  <th>Added</th>
                  <th>Updated</th>
                  <th>Expired</th>
                  <th>Skipped</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                <For each={runs() ?? []}>
                  {(r) => (
                    <tr data-testid="feed-run-row">
                      <td class="small">{absoluteTime(r.started_at)}</td>
                      <td>{r.state.replace('_', ' ')}</td>
                      <td class="num">{r.parsed.toLocaleString('en')}</td>
                      <td class="num">{r.objects.toLocaleString('en')}</td>
                      <td class="num">{r.added.toLocaleString('en')}</td>
                      <td class="num">{r.updated.toLocaleString('en')}</td>
                      <td class="num">{r.expired.toLocaleString('en')}</td>
                      <td class="num">{r.skipped.toLocaleString('en')}</td>
                      <td class="small intel-error">{r.error ?? ''}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </details>
      </Show>
    </div>
  );
}
