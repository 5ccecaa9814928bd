/**
 * The incident's clocks, counting down live: SLA response and resolution (on track / due soon /
 * overdue / met) and, for a personal-data breach, the notification deadline under the chosen
 * regulation, with the control to mark or unmark the breach; and this incident's time to contain
 * (MTTC) and time to resolve (MTTR) once stamped, from detection (or creation), with the times as
 * a lead corrected them, as the metrics count them. Computed from the document with
 * shared/sla.ts, so they run offline too.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { setBreach } from '../../../shared/incident-doc.ts';
import type { IncidentMeta } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { CLIENT_SLA_POLICY, ClockBadge, computeSla, createTicker } from '../sla-badge.tsx';
import { absoluteTime, fromLocalInput, toLocalInput } from '../time-format.ts';
import { formatSpan } from '../clock-format.ts';

/** Detection (or creation) to a stamped time, as the metrics count it; null when unset or earlier. */
function spanFrom(meta: IncidentMeta, at: string | null): string | null {
  if (!at) return null;
  const ms = Date.parse(at) - Date.parse(meta.detectedAt ?? meta.createdAt);
  return Number.isFinite(ms) && ms >= 0 ? formatSpan(ms) : null;
}

export function ClocksPanel(props: { doc: Y.Doc; meta: IncidentMeta; readOnly: boolean; onError: (m: string | null) => void }): JSX.Element {
  const app = useApp();
  const now = createTicker();
  const sla = () => computeSla(props.meta, now());
  const regulations = Object.entries(CLIENT_SLA_POLICY.regulations);
  const [regulation, setRegulation] = createSignal('gdpr');
  const [awareAt, setAwareAt] = createSignal(toLocalInput(new Date().toISOString()));
  const mark = (): void => {
    const at = fromLocalInput(awareAt());
    if (!at) {
      props.onError('Enter when the organisation became aware of the breach.');
      return;
    }
    const res = setBreach(props.doc, { regulation: regulation(), awareAt: at }, app.authorName());
    props.onError(res.ok ? null : res.error);
  };
  const unmark = (): void => {
    const res = setBreach(props.doc, null, app.authorName());
    props.onError(res.ok ? null : res.error);
  };
  return (
    <section class="card" aria-labelledby="clocks-title" data-testid="clocks-panel">
      <h2 id="clocks-title">Clocks</h2>
      <div class="clock-list">
        <div class="clock-row">
          <span>Response due {absoluteTime(sla().response_due)}</span>
          <ClockBadge label="Response" state={sla().response_state} due={sla().response_due} now={now()} testId="sla-response" />
        </div>
        <div class="clock-row">
          <span>Resolution due {absoluteTime(sla().resolution_due)}</span>
          <ClockBadge label="Resolution" state={sla().resolution_state} due={sla().resolution_due} now={now()} testId="sla-resolution" />
        </div>
        <Show when={spanFrom(props.meta, props.meta.containedAt)}>
          {(span) => (
            <div class="clock-row" data-testid="clock-mttc">
              <span>Time to contain (MTTC)</span>
              <strong>{span()}</strong>
            </div>
          )}
        </Show>
        <Show when={spanFrom(props.meta, props.meta.resolvedAt)}>
          {(span) => (
            <div class="clock-row" data-testid="clock-mttr">
              <span>Time to resolve (MTTR)</span>
              <strong>{span()}</strong>
            </div>
          )}
        </Show>
        <Show when={props.meta.breach}>
          {(breach) => (
            <div class="clock-row">
              <span>
                Breach notification ({CLIENT_SLA_POLICY.regulations[breach().regulation]?.label ?? breach().regulation}) — aware since{' '}
                {absoluteTime(breach().awareAt)}
                <Show when={sla().breach_notification_due}>{(due) => <>, due {absoluteTime(due())}</>}</Show>
              </span>
              <Show
                when={
                  sla().breach_state && sla().breach_notification_due
                    ? { state: sla().breach_state ?? 'on_track', due: sla().breach_notification_due ?? '' }
                    : null
                }
                fallback={<span class="muted">Unknown regulation</span>}
              >
                {(b) => <ClockBadge label="Notify" state={b().state} due={b().due} now={now()} testId="breach-clock" />}
              </Show>
            </div>
          )}
        </Show>
      </div>
      <Show
        when={props.meta.breach}
        fallback={
          <Show when={!props.readOnly}>
            <details class="breach-control">
              <summary data-testid="breach-open">Mark as a personal-data breach</summary>
              <div class="fields-grid">
                <div class="field">
                  <label for="breach-regulation">Regulation</label>
                  <select id="breach-regulation" value={regulation()} onChange={(e) => setRegulation(e.currentTarget.value)} data-testid="breach-regulation">
                    <For each={regulations}>{([id, r]) => <option value={id}>{r.label}</option>}</For>
                  </select>
                </div>
                <div class="field">
                  <label for="breach-aware">Aware since</label>
                  <input
                    id="breach-aware"
                    type="datetime-local"
                    step="1"
                    value={awareAt()}
                    onInput={(e) => setAwareAt(e.currentTarget.value)}
                    data-testid="breach-aware"
                  />
                </div>
              </div>
              <button type="button" class="btn" onClick={mark} data-testid="breach-mark">
                Start the notification clock
              </button>
            </details>
          </Show>
        }
      >
        <Show when={!props.readOnly}>
          <button type="button" class="link-btn" onClick={unmark} data-testid="breach-unmark">
            Not a personal-data breach
          </button>
        </Show>
      </Show>
    </section>
  );
}
