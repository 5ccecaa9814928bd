/**
 * "Why this severity": the risk score the server computed from the alerts (0-100, the severity
 * it maps to, the scoring model) and each factor with its points and its sentence. Every string
 * comes from the document and is rendered as text.
 */
import { For, Show, type JSX } from 'solid-js';
import type { Risk, Severity } from '../../../shared/incident-schema.ts';
import { SeverityBadge } from '../badges.tsx';

export function RiskPanel(props: { risk: Risk | null; severity: Severity }): JSX.Element {
  return (
    <Show when={props.risk}>
      {(risk) => (
        <section class="card risk" aria-labelledby="risk-title" data-testid="risk-panel">
          <h2 id="risk-title">Why this severity</h2>
          <p class="risk-score">
            <span class="risk-number" data-testid="risk-score">
              {Math.round(risk().score)}
            </span>
            <span class="muted">/ 100 → </span>
            <SeverityBadge severity={risk().severity} long />
          </p>
          <Show when={risk().severity !== props.severity}>
            <p class="muted small">
              The severity was since set to {props.severity} by hand; the score suggested {risk().severity}.
            </p>
          </Show>
          <ul class="risk-factors">
            <For each={risk().factors}>
              {(f) => (
                <li data-testid="risk-factor">
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
          <p class="muted small">Scoring model {risk().model}.</p>
        </section>
      )}
    </Show>
  );
}
