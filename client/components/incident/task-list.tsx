/** The incident's task checklist: add, tick off, rename, delete (soft, restorable). */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addTask, setTaskDone, updateTask } from '../../../shared/incident-doc.ts';
import { LIMITS, type Task } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { absoluteTime } from '../time-format.ts';

const TASK_MAX = LIMITS.shortText * 2;

export function TaskList(props: { doc: Y.Doc; tasks: Task[]; readOnly?: boolean }): JSX.Element {
  const app = useApp();
  const live = createMemo(() => props.tasks.filter((t) => !t.deleted));
  const deleted = createMemo(() => props.tasks.filter((t) => t.deleted));
  const open = (): number => live().filter((t) => !t.done).length;
  const [title, setTitle] = createSignal('');
  const add = (e: SubmitEvent): void => {
    e.preventDefault();
    const value = title().trim();
    if (!value) return;
    addTask(props.doc, value);
    setTitle('');
  };
  return (
    <section class="card tasks" aria-labelledby="tasks-title">
      <div class="card-head">
        <h2 id="tasks-title">Tasks</h2>
        <span class="muted">
          {open()} open · {live().length - open()} done
        </span>
      </div>
      <ul class="task-list">
        <For each={live()}>
          {(task) => (
            <li class="task" classList={{ done: task.done }} data-testid="task-item">
              <label class="task-check-wrap">
                <input
                  type="checkbox"
                  class="task-check"
                  checked={task.done}
                  disabled={props.readOnly}
                  onChange={(e) => setTaskDone(props.doc, task.id, e.currentTarget.checked, app.authorName())}
                  aria-label={`Done: ${task.title}`}
                  data-testid="task-toggle"
                />
              </label>
              <TaskTitle doc={props.doc} task={task} readOnly={props.readOnly ?? false} />
              <Show when={task.done && task.doneBy}>
                <span class="task-by muted" title={absoluteTime(task.doneAt)}>
                  {task.doneBy}
                </span>
              </Show>
              <Show when={!props.readOnly}>
                <button
                  type="button"
                  class="icon-btn"
                  onClick={() => updateTask(props.doc, task.id, { deleted: true })}
                  aria-label={`Delete task: ${task.title}`}
                  title="Delete task"
                >
                  ✕
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={!props.readOnly}>
        <form class="task-add" onSubmit={add}>
          <label class="visually-hidden" for="task-input">
            New task
          </label>
          <input
            id="task-input"
            data-testid="task-input"
            type="text"
            maxLength={TASK_MAX}
            placeholder="Add a task, e.g. Isolate host FS01"
            value={title()}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          <button type="submit" class="btn" data-testid="add-task">
            Add task
          </button>
        </form>
      </Show>
      <Show when={deleted().length > 0}>
        <details class="deleted-tasks">
          <summary>Deleted tasks ({deleted().length})</summary>
          <ul>
            <For each={deleted()}>
              {(task) => (
                <li>
                  <span class="muted">{task.title}</span>{' '}
                  <Show when={!props.readOnly}>
                    <button type="button" class="link-btn" onClick={() => updateTask(props.doc, task.id, { deleted: false })}>
                      Restore
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </details>
      </Show>
    </section>
  );
}

/** A task's title, renamed in place: committed on Enter or when the field loses focus. */
function TaskTitle(props: { doc: Y.Doc; task: Task; readOnly: boolean }): JSX.Element {
  const [draft, setDraft] = createSignal<string | null>(null);
  const commit = (): void => {
    const value = draft()?.trim();
    setDraft(null);
    if (value && value !== props.task.title) updateTask(props.doc, props.task.id, { title: value });
  };
  return (
    // A one-row textarea (not an input) so a long title wraps instead of being cut.
    <textarea
      rows={1}
      class="task-title"
      maxLength={TASK_MAX}
      value={draft() ?? props.task.title}
      readOnly={props.readOnly}
      onInput={(e) => setDraft(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') e.currentTarget.blur();
        if (e.key === 'Escape') {
          setDraft(null);
          e.currentTarget.value = props.task.title;
          e.currentTarget.blur();
        }
      }}
      aria-label="Task title"
    />
  );
}
