/**
 * One indicator in full (GET /indicators/{id}): score and whether it is still matched, combined
 * confidence, first/last seen, TLP, tags, malware, actors, ATT&CK techniques, and every source
 * that reported it with its own first/last seen and confidence. An indicator the server ignores
 * (a never-public range, the allow-list) says so, with the feeds that listed it.
 */
import { createResource, For, Show, type JSX } from 'solid-js';
import type { IgnoredReason, IndicatorDetail as Detail } from '../../../shared/intel-api.ts';
import { LoadError } from '../load-error.tsx';
import { absoluteTime } from '../time-format.ts';
import { useIntel } from './intel-context.tsx';
import { ScoreChip } from './score-chip.tsx';

export function IndicatorDetail(props: { id: number; onClose: () => void }): JSX.Element {
  const intel = useIntel();
  const [indicator] = createResource(
    () => props.id,
    async (id): Promise<Detail> => {
      const res = await intel.api.indicator(id);
      if (!res.ok) throw new Error(res.error.message);
      return res.value;
    },
  );
  const list = (xs: string[]): string => (xs.length ? xs.join(', ') : '—');

  return (
    <section class="card" aria-labelledby="intel-detail-title" data-testid="intel-detail">
      <div class="card-head">
        <h2 id="intel-detail-title">Indicator</h2>
        <button type="button" class="link-btn" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <LoadError what="The indicator" error={indicator.error} />
      <Show
        when={indicator()}
        fallback={
          <Show when={!indicator.error}>
            <p class="muted">Loading…</p>
          </Show>
        }
      >
        {(ind) => (
          <>
            <p class="intel-value">{ind().value}</p>
            <Show when={ind().ignored}>
              {(reason) => (
                <p class="warning" role="note" data-testid="intel-ignored">
                  {ignoredText(
                    ind().sources.map((s) => s.feed_name),
                    reason(),
                  )}
                </p>
              )}
            </Show>
            <dl class="intel-facts">
              <dt>Type</dt>
              <dd>{ind().type}</dd>
              <dt>Score</dt>
              <dd>
                <ScoreChip score={ind().score} active={ind().active} />{' '}
                {ind().ignored ? 'never matched or blocked (ignored)' : ind().active ? 'matched and blocked' : 'below its threshold: searchable only'}
              </dd>
              <dt>Confidence</dt>
              <dd>{Math.round(ind().base_confidence)} (all sources combined, before decay)</dd>
              <dt>First seen</dt>
              <dd>{absoluteTime(ind().first_seen)}</dd>
              <dt>Last seen</dt>
              <dd>{absoluteTime(ind().last_seen)}</dd>
              <dt>TLP</dt>
              <dd>
                <span class="badge tlp" data-tlp={ind().tlp}>
                  TLP:{ind().tlp.toUpperCase()}
                </span>
              </dd>
              <dt>Tags</dt>
              <dd>{list(ind().tags)}</dd>
              <dt>Malware</dt>
              <dd>{list(ind().malware)}</dd>
              <dt>Actors</dt>
              <dd>{list(ind().actors)}</dd>
              <dt>Techniques</dt>
              <dd class="mono">{list(ind().techniques)}</dd>
            </dl>
            <h3>Sources</h3>
            <div class="table-wrap">
              <table class="admin-table">
                <thead>
                  <tr>
                    <th>Source</th>
                    <th>First seen</th>
                    <th>Last seen</th>
                    <th>Confidence</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={ind().sources}>
                    {(s) => (
                      <tr data-testid="intel-source">
                        <td>{s.feed_name}</td>
                        <td>{absoluteTime(s.first_seen)}</td>
                        <td>{absoluteTime(s.last_seen)}</td>
                        <td class="num">{Math.round(s.confidence)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </>
        )}
      </Show>
    </section>
  );
}

/** "Listed by feed FireHOL level1, ignored: private range": why an admin sees no match for it. */
function ignoredText(feeds: readonly string[], reason: IgnoredReason): string {
  const by = feeds.length ? `Listed by feed ${[...new Set(feeds)].join(', ')}` : 'Listed';
  return `${by}, ignored: ${reason === 'private_range' ? 'private range' : 'on the allow-list'}`;
}
