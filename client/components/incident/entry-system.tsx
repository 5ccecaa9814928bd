/**
 * System entries: the incident opened, a threat-intel match (the indicator, its score and feeds,
 * a link to the intel lookup), and the server's note after it wrote back what an update erased.
 */
import { Link } from '@tanstack/solid-router';
import { Match, Switch, type JSX } from 'solid-js';
import type { GuardCorrectionPayload, IntelMatchPayload, SystemPayload } from '../../../shared/timeline-payloads.ts';

export function SystemEntry(props: { text: string; data: SystemPayload }): JSX.Element {
  const match = (): IntelMatchPayload['intel_match'] | null =>
    props.data && 'intel_match' in props.data ? (props.data as IntelMatchPayload).intel_match : null;
  const correction = (): GuardCorrectionPayload['correction'] | null =>
    props.data && 'correction' in props.data ? (props.data as GuardCorrectionPayload).correction : null;
  return (
    <Switch fallback={<p class="tl-text">{props.text}</p>}>
      <Match when={match()}>
        {(m) => (
          <p class="tl-text" data-testid="timeline-intel-match">
            {props.text}
            <span class="muted small">
              {' '}
              · score {Math.round(m().score)}
              {m().sources.length > 0 ? ` · ${m().sources.join(', ')}` : ''}
            </span>{' '}
            <Link to="/intel" search={{ q: m().value } as never} class="small">
              Look it up
            </Link>
          </p>
        )}
      </Match>
      <Match when={correction()}>
        <p class="tl-text tl-guard" role="note" data-testid="timeline-guard-correction">
          {props.text}
        </p>
      </Match>
    </Switch>
  );
}
