/**
 * "Why this severity": the risk score the server computed from the alerts (0-100, the severity
 * it maps to, the scoring model) and each factor with its points and its sentence. Every string
 * comes from the document and is rendered as text.
 */
import { Show, type JSX } from 'solid-js';
import type { Risk, Severity } from '../../../shared/incident-schema.ts';
import { SeverityBadge } from '../badges.tsx';
import { RiskFactorList } from '../risk-factors.tsx';

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
          <RiskFactorList factors={risk().factors} testId="risk-factor" />
          <p class="muted small">Scoring model {risk().model}.</p>
        </section>
      )}
    </Show>
  );
}
