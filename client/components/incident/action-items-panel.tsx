/**
 * The incident's action items (improvements from the review): the list, edited inline, and a
 * form to add one (title, owner, due date, type, status). Written through addActionItem /
 * updateActionItem into the incident's document, so it works offline and merges; an item is
 * dropped (status "dropped"), never deleted.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addActionItem, updateActionItem, type ActionItemFields } from '../../../shared/incident-doc.ts';
import { ACTION_ITEM_STATUSES, ACTION_ITEM_TYPES, LIMITS, type ActionItem } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { AlertMessage } from '../alert-message.tsx';

export const ACTION_TYPE_LABELS: Record<ActionItem['type'], string> = { prevent: 'Prevent', detect: 'Detect', respond: 'Respond', process: 'Process' };
export const ACTION_STATUS_LABELS: Record<ActionItem['status'], string> = { open: 'Open', in_progress: 'In progress', done: 'Done', dropped: 'Dropped' };

export function ActionItemsPanel(props: { doc: Y.Doc; items: ActionItem[]; readOnly: boolean }): JSX.Element {
  const app = useApp();
  const [error, setError] = createSignal<string | null>(null);
  const update = (id: string, patch: Partial<ActionItemFields>): void => {
    const res = updateActionItem(props.doc, id, patch);
    setError(res.ok ? null : res.error);
  };
  return (
    <section class="action-items" aria-labelledby="action-items-title" data-testid="action-items">
      <h3 id="action-items-title">Action items</h3>
      <Show when={props.items.length > 0} fallback={<p class="muted">No action items yet.</p>}>
        <ul class="action-item-list">
          <For each={props.items}>
            {(item) => (
              <li class="action-item" classList={{ dropped: item.status === 'dropped' }} data-testid="action-item" data-status={item.status}>
                <input
                  type="text"
                  aria-label="Action item title"
                  data-testid="action-item-title"
                  maxLength={LIMITS.shortText * 2}
                  value={item.title}
                  readOnly={props.readOnly}
                  onChange={(e) => {
                    const title = e.currentTarget.value.trim();
                    if (title) update(item.id, { title });
                    else {
                      e.currentTarget.value = item.title;
                      setError('An action item needs a title; the previous one is kept.');
                    }
                  }}
                />
                <input
                  type="text"
                  aria-label={`Owner of ${item.title}`}
                  placeholder="Owner"
                  maxLength={LIMITS.shortText}
                  value={item.owner ?? ''}
                  readOnly={props.readOnly}
                  onChange={(e) => update(item.id, { owner: e.currentTarget.value.trim() || null })}
                />
                <input
                  type="date"
                  aria-label={`Due date of ${item.title}`}
                  value={item.due ?? ''}
                  readOnly={props.readOnly}
                  onChange={(e) => update(item.id, { due: e.currentTarget.value || null })}
                />
                <select
                  aria-label={`Type of ${item.title}`}
                  value={item.type}
                  disabled={props.readOnly}
                  onChange={(e) => update(item.id, { type: e.currentTarget.value as ActionItem['type'] })}
                >
                  <For each={ACTION_ITEM_TYPES}>{(t) => <option value={t}>{ACTION_TYPE_LABELS[t]}</option>}</For>
                </select>
                <select
                  aria-label={`Status of ${item.title}`}
                  data-testid="action-item-status"
                  value={item.status}
                  disabled={props.readOnly}
                  onChange={(e) => update(item.id, { status: e.currentTarget.value as ActionItem['status'] })}
                >
                  <For each={ACTION_ITEM_STATUSES}>{(s) => <option value={s}>{ACTION_STATUS_LABELS[s]}</option>}</For>
                </select>
                <Show when={!props.readOnly && item.status !== 'dropped'}>
                  <button type="button" class="btn small" aria-label={`Drop ${item.title}`} onClick={() => update(item.id, { status: 'dropped' })}>
                    Drop
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={!props.readOnly}>
        <AddActionItem
          onAdd={(fields) => {
            const res = addActionItem(props.doc, fields, app.authorName());
            setError(res.ok ? null : res.error);
            return res.ok;
          }}
        />
      </Show>
      <AlertMessage message={error()} />
    </section>
  );
}

function AddActionItem(props: { onAdd: (fields: ActionItemFields) => boolean }): JSX.Element {
  const [problem, setProblem] = createSignal<string | null>(null);
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const str = (k: string): string => {
      const v = data.get(k);
      return typeof v === 'string' ? v.trim() : '';
    };
    const title = str('title');
    if (!title) return void setProblem('Give the action item a title.');
    setProblem(null);
    const added = props.onAdd({
      title,
      owner: str('owner') || null,
      due: str('due') || null,
      type: str('type') as ActionItem['type'],
      status: str('status') as ActionItem['status'],
    });
    if (added) form.reset();
  };
  return (
    <form class="action-item-add" aria-label="Add an action item" data-testid="action-item-add" novalidate onSubmit={submit}>
      <label>
        Title <input name="title" type="text" required maxLength={LIMITS.shortText * 2} data-testid="action-item-new-title" />
      </label>
      <label>
        Owner <input name="owner" type="text" maxLength={LIMITS.shortText} data-testid="action-item-new-owner" />
      </label>
      <label>
        Due <input name="due" type="date" data-testid="action-item-new-due" />
      </label>
      <label>
        Type{' '}
        <select name="type" data-testid="action-item-new-type">
          <For each={ACTION_ITEM_TYPES}>{(t) => <option value={t}>{ACTION_TYPE_LABELS[t]}</option>}</For>
        </select>
      </label>
      <label>
        Status{' '}
        <select name="status" data-testid="action-item-new-status">
          <For each={ACTION_ITEM_STATUSES}>{(s) => <option value={s}>{ACTION_STATUS_LABELS[s]}</option>}</For>
        </select>
      </label>
      <button type="submit" class="btn" data-testid="action-item-new-submit">
        Add action item
      </button>
      <AlertMessage message={problem()} />
    </form>
  );
}
