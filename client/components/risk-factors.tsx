/**
 * The factors of a risk score, each with its signed points and its sentence (rendered as text):
 * shared by the incident's "why this severity" panel and the alert page.
 */
import { For, type JSX } from 'solid-js';
import type { Risk } from '../../shared/incident-schema.ts';

export function RiskFactorList(props: { factors: Risk['factors']; testId?: string; emptyText?: string }): JSX.Element {
  return (
    <ul class="risk-factors">
      <For each={props.factors} fallback={props.emptyText ? <li class="muted">{props.emptyText}</li> : undefined}>
        {(f) => (
          <li data-testid={props.testId}>
            <span class="risk-points" classList={{ negative: f.points < 0 }}>
              {f.points > 0 ? '+' : ''}
              {Math.round(f.points * 10) / 10}
            </span>
            <span>
              <strong>{f.factor}</strong> <span class="muted">{f.detail}</span>
            </span>
          </li>
        )}
      </For>
    </ul>
  );
}
