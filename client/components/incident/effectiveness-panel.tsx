/**
 * Per-incident effectiveness (shared/incident-effectiveness.ts) from the local document: time to
 * detect, acknowledge, contain and resolve against the SLA and the targets, the automated steps
 * and the analyst time they saved, and the approval waits. Read-only; recomputed after changes settle.
 */
import { createSignal, For, onCleanup, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { observeIncident, readMeta, readTimeline } from '../../../shared/incident-doc.ts';
import { incidentEffectiveness, type Effectiveness, type Measure } from '../../../shared/incident-effectiveness.ts';
import { formatMinutes } from '../../../shared/review-suggestions.ts';
import { CLIENT_SLA_POLICY } from '../sla-badge.tsx';

const compute = (doc: Y.Doc): Effectiveness => incidentEffectiveness({ meta: readMeta(doc), timeline: readTimeline(doc), policy: CLIENT_SLA_POLICY });

function describeMeasure(m: Measure): string {
  if (m.minutes === null) return 'not yet';
  const limits = [
    m.slaMinutes !== null ? `SLA ${formatMinutes(m.slaMinutes)}` : null,
    m.targetMinutes !== null ? `target ${formatMinutes(m.targetMinutes)}` : null,
  ].filter(Boolean);
  const verdict = m.met === null ? '' : m.met ? ' — met' : ' — missed';
  return `${formatMinutes(m.minutes)}${limits.length ? ` (${limits.join(', ')})` : ''}${verdict}`;
}

export function EffectivenessPanel(props: { doc: Y.Doc }): JSX.Element {
  const [e, setE] = createSignal(compute(props.doc));
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(
    observeIncident(props.doc, () => {
      clearTimeout(timer);
      timer = setTimeout(() => setE(compute(props.doc)), 500);
    }),
  );
  onCleanup(() => clearTimeout(timer));
  const rows = (): [string, Measure][] => [
    ['Time to detect', e().detect],
    ['Time to acknowledge', e().acknowledge],
    ['Time to contain', e().contain],
    ['Time to resolve', e().resolve],
  ];
  return (
    <section class="card effectiveness" aria-labelledby="effectiveness-title" data-testid="effectiveness-panel">
      <h2 id="effectiveness-title">Effectiveness</h2>
      <dl>
        <For each={rows()}>
          {([label, m]) => (
            <>
              <dt>{label}</dt>
              <dd classList={{ danger: m.met === false }}>{describeMeasure(m)}</dd>
            </>
          )}
        </For>
        <dt>Automation</dt>
        <dd data-testid="effectiveness-automation">
          {e().automation.stepsRun} steps run, about {formatMinutes(e().automation.savedMinutes)} of analyst time saved
        </dd>
        <dt>Approval waits</dt>
        <dd>{e().approvals.count === 0 ? 'none' : `${e().approvals.count}, longest ${formatMinutes(e().approvals.longestMinutes)}`}</dd>
      </dl>
    </section>
  );
}
