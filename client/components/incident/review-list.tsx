/**
 * An ordered list of the review (the five whys, the decisions): add, edit, remove and reorder
 * items. Every change goes through setReviewFields, which edits the items' texts in place and
 * marks removed items deleted (never removes them), so co-editors' lists merge.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { setReviewFields } from '../../../shared/incident-doc.ts';
import { REVIEW_LIMITS, type ReviewItem } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { AlertMessage } from '../alert-message.tsx';

export function ReviewList(props: {
  doc: Y.Doc;
  name: 'fiveWhys' | 'decisions';
  items: ReviewItem[];
  /** Accessible name of one item ("Why 1", "Decision 2"). */
  itemLabel: (n: number) => string;
  addLabel: string;
  readOnly: boolean;
}): JSX.Element {
  const app = useApp();
  const [error, setError] = createSignal<string | null>(null);
  const live = (): ReviewItem[] => props.items.filter((i) => !i.deleted);
  const write = (texts: string[]): void => {
    const res = setReviewFields(props.doc, { [props.name]: texts }, app.authorName());
    setError(res.ok ? null : res.error);
  };
  const texts = (): string[] => live().map((i) => i.text);
  const move = (n: number, by: number): void => {
    const t = texts();
    const to = n + by;
    if (to < 0 || to >= t.length) return;
    [t[n], t[to]] = [t[to] ?? '', t[n] ?? ''];
    write(t);
  };
  return (
    <div class="review-list" data-testid={`review-${props.name}`}>
      <ol>
        <For each={live()}>
          {(item, n) => (
            <li class="review-item">
              <input
                type="text"
                class="review-item-text"
                aria-label={props.itemLabel(n() + 1)}
                data-testid={`review-${props.name}-item`}
                maxLength={REVIEW_LIMITS.itemText}
                value={item.text}
                readOnly={props.readOnly}
                onChange={(e) => {
                  const t = texts();
                  t[n()] = e.currentTarget.value;
                  write(t);
                }}
              />
              <Show when={!props.readOnly}>
                <button type="button" class="btn small" aria-label={`Move ${props.itemLabel(n() + 1)} up`} disabled={n() === 0} onClick={() => move(n(), -1)}>
                  ↑
                </button>
                <button
                  type="button"
                  class="btn small"
                  aria-label={`Move ${props.itemLabel(n() + 1)} down`}
                  disabled={n() === live().length - 1}
                  onClick={() => move(n(), 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="btn small"
                  aria-label={`Remove ${props.itemLabel(n() + 1)}`}
                  onClick={() => write(texts().filter((_, i) => i !== n()))}
                >
                  Remove
                </button>
              </Show>
            </li>
          )}
        </For>
      </ol>
      <Show when={!props.readOnly && live().length < REVIEW_LIMITS.items}>
        <button type="button" class="btn" data-testid={`review-${props.name}-add`} onClick={() => write([...texts(), ''])}>
          {props.addLabel}
        </button>
      </Show>
      <AlertMessage message={error()} />
    </div>
  );
}
