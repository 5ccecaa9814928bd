/**
 * The incident's post-incident review and action items as Solid signals that follow its Y.Doc
 * (local and remote changes, read back through the shared accessors, at most every ~50 ms).
 */
import { createSignal, onCleanup, type Accessor } from 'solid-js';
import type * as Y from 'yjs';
import { observeIncident, readActionItems, readReview } from '../../../shared/incident-doc.ts';
import type { ActionItem, Review } from '../../../shared/incident-schema.ts';

export interface ReviewState {
  review: Accessor<Review>;
  actionItems: Accessor<ActionItem[]>;
}

export function createReviewState(doc: Y.Doc): ReviewState {
  const [review, setReview] = createSignal<Review>(readReview(doc));
  const [actionItems, setActionItems] = createSignal<ActionItem[]>(readActionItems(doc));
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stop = observeIncident(doc, () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      setReview(readReview(doc));
      setActionItems(readActionItems(doc));
    }, 50);
  });
  onCleanup(() => {
    stop();
    if (timer) clearTimeout(timer);
  });
  return { review, actionItems };
}
