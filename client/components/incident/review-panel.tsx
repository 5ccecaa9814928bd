/**
 * The post-incident review (issue 12) on the incident page: summary, impact, detection, root
 * cause and contributing factors, the five whys, what went well / wrong / where we got lucky,
 * the decisions, and the action items. Every text is its own Y.Text co-edited live (and offline,
 * on the device's copy of the document); the lists go through the shared review functions.
 * It says which required parts are missing and whether closing needs the review; a lead signs
 * it off here (the server writes back anyone else's sign-off).
 */
import { createSignal, Show, type JSX } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import {
  reviewRequired,
  reviewMissing,
  reviewText,
  setReviewFields,
  signOffReview,
  type ReviewPart,
  type ReviewTextKey,
} from '../../../shared/incident-doc.ts';
import type { Category, Severity } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { reviewGateFor } from '../../local/review-api.ts';
import { AlertMessage } from '../alert-message.tsx';
import { ActionItemsPanel } from './action-items-panel.tsx';
import { LazyCollabText } from './collab-text.tsx';
import { describeMissing } from './review-parts.ts';
import { ReviewList } from './review-list.tsx';
import { createReviewState } from './review-state.ts';

interface Props {
  doc: Y.Doc;
  awareness: Awareness;
  incidentId: string;
  category: Category;
  severity: Severity;
  readOnly: boolean;
}

export function ReviewPanel(props: Props): JSX.Element {
  const app = useApp();
  const state = createReviewState(props.doc);
  const [error, setError] = createSignal<string | null>(null);
  const missing = (): ReviewPart[] => reviewMissing(state.review());
  const required = (): boolean => reviewRequired(reviewGateFor(props.category), props.severity, 'true_positive');
  const field = (key: ReviewTextKey, label: string, placeholder?: string): JSX.Element => (
    <div class="field review-field">
      <span class="review-label" id={`review-${key}-label`}>
        {label}
      </span>
      <LazyCollabText
        text={reviewText(props.doc, key)}
        plain={reviewText(props.doc, key).toString()}
        awareness={props.awareness}
        label={label}
        placeholder={placeholder}
        testId={`review-${key}`}
        class="review-text"
        readOnly={props.readOnly}
      />
    </div>
  );
  const signOff = (): void => {
    const res = signOffReview(props.doc, app.authorName());
    setError(res.ok ? null : res.error.message);
  };
  return (
    <section class="card review-panel" aria-labelledby="review-title" data-testid="review-panel">
      <h2 id="review-title">Post-incident review</h2>
      <div class="review-status" role="status" data-testid="review-status">
        <Show
          when={missing().length > 0}
          fallback={
            <p>
              <strong>Complete:</strong> signed off by {state.review().signedOffBy}.
            </p>
          }
        >
          <p data-testid="review-missing">
            <strong>Missing:</strong> {describeMissing(missing())}.
          </p>
        </Show>
        <p class="muted small" data-testid="review-required">
          {required()
            ? `Closing this ${props.severity} incident as a true positive needs the review completed.`
            : `Closing this ${props.severity} incident does not need the review.`}
        </p>
      </div>
      <h3>Summary</h3>
      {field('summary', 'Summary', 'What happened, in a few sentences')}
      <h3>Impact</h3>
      {field('impactWhat', 'What was affected')}
      {field('impactWho', 'Who was affected')}
      {field('impactDuration', 'For how long')}
      {field('impactData', 'Data involved')}
      {field('impactRegulatory', 'Regulatory relevance', 'Notification duties, deadlines')}
      <h3>Detection</h3>
      {field('detectionHow', 'How it was detected')}
      {field('detectionWhen', 'When it was detected')}
      <div class="field">
        <label for="review-detection-late">Was detection late?</label>
        <select
          id="review-detection-late"
          data-testid="review-detection-late"
          disabled={props.readOnly}
          value={state.review().detection.late === null ? '' : String(state.review().detection.late)}
          onChange={(e) => {
            const v = e.currentTarget.value;
            const res = setReviewFields(props.doc, { detectionLate: v === '' ? null : v === 'true' }, app.authorName());
            setError(res.ok ? null : res.error);
          }}
        >
          <option value="">Not decided</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      </div>
      <Show when={state.review().detection.late === true}>{field('detectionLateWhy', 'Why it was late')}</Show>
      <h3>Root cause</h3>
      {field('rootCause', 'Root cause')}
      {field('contributingFactors', 'Contributing factors')}
      <h3>Five whys</h3>
      <ReviewList
        doc={props.doc}
        name="fiveWhys"
        items={state.review().fiveWhys}
        itemLabel={(n) => `Why ${n}`}
        addLabel="Add a why"
        readOnly={props.readOnly}
      />
      <h3>Lessons</h3>
      {field('wentWell', 'What went well')}
      {field('wentWrong', 'What went wrong')}
      {field('lucky', 'Where we got lucky')}
      <h3>Decisions</h3>
      <ReviewList
        doc={props.doc}
        name="decisions"
        items={state.review().decisions}
        itemLabel={(n) => `Decision ${n}`}
        addLabel="Add a decision"
        readOnly={props.readOnly}
      />
      <Show when={app.can('review:signoff', props.incidentId) && !state.review().signedOffBy}>
        <div class="review-signoff">
          <button type="button" class="btn primary" data-testid="review-signoff" onClick={signOff}>
            Sign off
          </button>
        </div>
      </Show>
      <Show when={state.review().signedOffAt}>
        {(at) => (
          <p class="muted small" data-testid="review-signed">
            Signed off by {state.review().signedOffBy} at {new Date(at()).toLocaleString()}.
          </p>
        )}
      </Show>
      <AlertMessage message={error()} />
      <ActionItemsPanel doc={props.doc} items={state.actionItems()} readOnly={props.readOnly} />
    </section>
  );
}
