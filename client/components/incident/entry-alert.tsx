/** An alert that opened or joined the incident: its title, source, score, times seen and a link to it. */
import { Link } from '@tanstack/solid-router';
import { Show, type JSX } from 'solid-js';
import type { AlertPayload } from '../../../shared/timeline-payloads.ts';

export function AlertEntry(props: { text: string; data: AlertPayload }): JSX.Element {
  return (
    <p class="tl-text">
      {props.text}
      <span class="muted small">
        {props.data.source ? ` · ${props.data.source}` : ''}
        {props.data.score !== undefined ? ` · score ${Math.round(props.data.score)}` : ''}
        {(props.data.count ?? 1) > 1 ? ` · seen ${props.data.count}×` : ''}
      </span>{' '}
      <Show when={props.data.alert_id}>
        {(id) => (
          <Link to="/alerts/$id" params={{ id: id() }} class="small" data-testid="timeline-alert-link">
            View alert
          </Link>
        )}
      </Show>
    </p>
  );
}
