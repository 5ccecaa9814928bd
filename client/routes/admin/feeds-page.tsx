/**
 * "/admin/feeds" (feed:manage): the threat-intel feeds with their last run (state, counts,
 * errors) and indicator counts; create and edit (parser options per format), run now with live
 * progress, run history, delete with confirmation; then, for admins (settings:manage), the decay
 * models and the allow-list.
 * The server enforces the right; the page shows its refusal to those who lack it.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { INDICATOR_TYPES, type Feed, type FeedBody } from '../../../shared/intel-api.ts';
import { useApp } from '../../app-context.tsx';
import { AllowlistEditor } from '../../components/intel/allowlist-editor.tsx';
import { DecayModelsEditor } from '../../components/intel/decay-models-editor.tsx';
import { FeedForm } from '../../components/intel/feed-form.tsx';
import { runOutcome } from '../../components/intel/feed-run-view.ts';
import { FeedRuns } from '../../components/intel/feed-runs.tsx';
import { useIntel } from '../../components/intel/intel-context.tsx';
import { LoadError } from '../../components/load-error.tsx';
import { relativeTime } from '../../components/time-format.ts';
import { AlertMessage } from '../../components/alert-message.tsx';
import '../../components/intel/intel.css';

/** Which form is open: none, a new feed, or the feed with this id. */
type Editing = null | 'new' | string;

export function FeedsAdminPage(): JSX.Element {
  const app = useApp();
  const intel = useIntel();
  const [feeds, { refetch }] = createResource(async () => {
    const res = await intel.api.feeds();
    if (!res.ok) throw new Error(res.error.message);
    return [...res.value].sort((a, b) => a.name.localeCompare(b.name));
  });
  const [editing, setEditing] = createSignal<Editing>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);

  const save = async (feed: Feed | null, body: FeedBody): Promise<string | null> => {
    // A PATCH without `types` keeps the stored filter: "none ticked" (all types) is sent as every type.
    const patch: FeedBody = feed?.types && !body.types ? { ...body, types: [...INDICATOR_TYPES] } : body;
    const res = feed ? await intel.api.patchFeed(feed.id, patch) : await intel.api.createFeed(body);
    if (!res.ok) return res.error.message;
    setEditing(null);
    setNotice(
      feed
        ? `Feed ${body.name} saved.`
        : `Feed ${body.name} created${body.url === null ? `: push its content to POST /api/v1/feeds/${res.value.id}/push with an API token that may manage feeds` : ''}.`,
    );
    void refetch();
    return null;
  };
  const remove = async (feed: Feed): Promise<void> => {
    if (
      !confirm(
        `Delete the feed "${feed.name}"? Its ${feed.indicator_count.toLocaleString('en')} sightings go with it; indicators no other source reports stop matching.`,
      )
    )
      return;
    const res = await intel.api.deleteFeed(feed.id);
    setError(res.ok ? null : res.error.message);
    if (res.ok) {
      setNotice(`Feed ${feed.name} deleted.`);
      void refetch();
    }
  };

  return (
    <section class="admin-page" aria-labelledby="feeds-title">
      <h1 id="feeds-title">Threat-intel feeds</h1>
      <Show when={!app.can('feed:manage')}>
        <p class="warning" role="status">
          Only users who may manage feeds can change them.
        </p>
      </Show>
      <Show when={notice()}>
        {(m) => (
          <p class="muted" role="status">
            {m()}
          </p>
        )}
      </Show>
      <AlertMessage message={error()} class="warning danger" />
      <LoadError what="The feeds" error={feeds.error} />
      <Show
        when={editing() === 'new'}
        fallback={
          <div class="form-actions">
            <button type="button" class="btn primary" onClick={() => setEditing('new')} data-testid="feed-new">
              New feed
            </button>
          </div>
        }
      >
        <FeedForm feed={null} onSubmit={(body) => save(null, body)} onCancel={() => setEditing(null)} />
      </Show>

      <Show
        when={feeds()}
        fallback={
          <Show when={!feeds.error}>
            <p class="muted">Loading feeds…</p>
          </Show>
        }
      >
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="muted">No feed yet.</p>}>
            <For each={list()}>
              {(feed) => (
                <Show when={editing() !== feed.id} fallback={<FeedForm feed={feed} onSubmit={(body) => save(feed, body)} onCancel={() => setEditing(null)} />}>
                  <article class="card" data-testid="feed" data-feed={feed.id}>
                    <div class="card-head">
                      <h2>
                        {feed.name} <span class="muted small">{feed.format}</span>
                        <Show when={!feed.enabled}>
                          <span class="muted small"> · disabled</span>
                        </Show>
                      </h2>
                      <span class="badge tlp" data-tlp={feed.tlp}>
                        TLP:{feed.tlp.toUpperCase()}
                      </span>
                    </div>
                    <dl class="intel-facts">
                      <dt>Source</dt>
                      <dd class="intel-value">{feed.url ?? `push: POST /api/v1/feeds/${feed.id}/push`}</dd>
                      <Show when={feed.url !== null}>
                        <dt>Schedule</dt>
                        <dd>every {feed.schedule_minutes} min</dd>
                      </Show>
                      <dt>Indicators</dt>
                      <dd>
                        {feed.indicator_count.toLocaleString('en')} · default confidence {feed.default_confidence} · {feed.types?.join(', ') ?? 'all types'}
                      </dd>
                      <dt>Last run</dt>
                      <dd data-testid="feed-last-run">
                        {feed.last_run
                          ? `${feed.last_run.finished_at ? relativeTime(feed.last_run.finished_at, app.now()) : feed.last_run.state}: ${runOutcome(feed.last_run)}`
                          : 'never'}
                      </dd>
                    </dl>
                    <FeedRuns feed={feed} onFinished={() => void refetch()} />
                    <div class="form-actions">
                      <button type="button" class="btn" onClick={() => setEditing(feed.id)} data-testid="feed-edit">
                        Edit
                      </button>
                      <button type="button" class="link-btn" onClick={() => void remove(feed)} data-testid="feed-delete">
                        Delete
                      </button>
                    </div>
                  </article>
                </Show>
              )}
            </For>
          </Show>
        )}
      </Show>

      <Show when={app.can('settings:manage')}>
        <DecayModelsEditor />
        <AllowlistEditor />
      </Show>
    </section>
  );
}
