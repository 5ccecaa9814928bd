/**
 * The incident's classification and ownership (severity, priority, category, TLP, assignee
 * picked from the team directory, reporter), its tags and affected assets, and the milestone
 * times the metrics use; a lead corrects a stamped time (contained, resolved) with a reason. Each
 * change is written through the shared accessors; discrete changes are recorded in the timeline there.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addAsset, addTag, correctMilestone, removeAsset, removeTag, setFields } from '../../../shared/incident-doc.ts';
import {
  CATEGORIES,
  LIMITS,
  PRIORITIES,
  SEVERITIES,
  TLPS,
  type Category,
  type EditableFields,
  type IncidentMeta,
  type Priority,
  type Severity,
  type Tlp,
  type CorrectableMilestone,
  CLOSING_SUMMARY_MAX,
} from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { categoryLabel, priorityLabel, severityLabel, tlpLabel } from '../labels.ts';
import { absoluteTime, fromLocalInput, toLocalInput } from '../time-format.ts';
import { ChipSet } from './chip-set.tsx';
import { assigneeOptions, createUserDirectory } from './user-directory.ts';

export function FieldsPanel(props: { doc: Y.Doc; meta: IncidentMeta; onError: (message: string | null) => void }): JSX.Element {
  const app = useApp();
  const write = (fields: EditableFields): void => {
    const res = setFields(props.doc, fields, app.authorName());
    props.onError(res.ok ? null : res.error);
  };
  return (
    <section class="card fields" aria-labelledby="fields-title">
      <h2 id="fields-title">Details</h2>
      <div class="fields-grid">
        <div class="field">
          <label for="f-severity">Severity</label>
          <select
            id="f-severity"
            data-testid="field-severity"
            value={props.meta.severity}
            onChange={(e) => write({ severity: e.currentTarget.value as Severity })}
          >
            <For each={SEVERITIES}>{(s) => <option value={s}>{severityLabel(s)}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="f-priority">Priority</label>
          <select
            id="f-priority"
            data-testid="field-priority"
            value={props.meta.priority}
            onChange={(e) => write({ priority: e.currentTarget.value as Priority })}
          >
            <For each={PRIORITIES}>{(p) => <option value={p}>{priorityLabel(p)}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="f-category">Category</label>
          <select
            id="f-category"
            data-testid="field-category"
            value={props.meta.category}
            onChange={(e) => write({ category: e.currentTarget.value as Category })}
          >
            <For each={CATEGORIES}>{(c) => <option value={c}>{categoryLabel(c)}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="f-tlp">TLP</label>
          <select id="f-tlp" data-testid="field-tlp" value={props.meta.tlp} onChange={(e) => write({ tlp: e.currentTarget.value as Tlp })}>
            <For each={TLPS}>{(t) => <option value={t}>{tlpLabel(t)}</option>}</For>
          </select>
        </div>
        <AssigneePicker value={props.meta.assignee} onPick={(v) => write({ assignee: v })} />
        <TextField
          id="f-reporter"
          testId="field-reporter"
          label="Reporter"
          value={props.meta.reporter}
          placeholder="Who reported it"
          onCommit={(v) => write({ reporter: v })}
        />
      </div>
      <ChipSet
        id="f-tags"
        label="Tags"
        values={props.meta.tags}
        placeholder="Add a tag"
        onAdd={(v) => addTag(props.doc, v)}
        onRemove={(v) => removeTag(props.doc, v)}
      />
      <ChipSet
        id="f-assets"
        label="Affected assets"
        values={props.meta.assets}
        placeholder="Host, account or service"
        onAdd={(v) => addAsset(props.doc, v)}
        onRemove={(v) => removeAsset(props.doc, v)}
      />
      <h3>Milestones</h3>
      <div class="fields-grid">
        <TimeField id="f-occurred" label="Occurred" value={props.meta.occurredAt} onCommit={(v) => write({ occurredAt: v })} />
        <TimeField id="f-detected" label="Detected" value={props.meta.detectedAt} onCommit={(v) => write({ detectedAt: v })} />
        <TimeField id="f-reported" label="Reported" value={props.meta.reportedAt} onCommit={(v) => write({ reportedAt: v })} />
        <StampedTime doc={props.doc} incidentId={props.meta.id} name="containedAt" label="Contained" value={props.meta.containedAt} onError={props.onError} />
        <StampedTime doc={props.doc} incidentId={props.meta.id} name="resolvedAt" label="Resolved" value={props.meta.resolvedAt} onError={props.onError} />
        <ReadOnlyTime label="Closed" value={props.meta.closedAt} />
      </div>
      <p class="muted small">
        Opened by {props.meta.createdBy} on {absoluteTime(props.meta.createdAt)}. Contained, resolved and closed are stamped by the workflow; a lead may correct
        contained and resolved, with a reason.
      </p>
    </section>
  );
}

/** A short text field written when it loses focus or on Enter; empty means "none". */
function TextField(props: {
  id: string;
  testId: string;
  label: string;
  value: string | null;
  placeholder: string;
  onCommit: (v: string | null) => void;
}): JSX.Element {
  const [draft, setDraft] = createSignal<string | null>(null);
  const commit = (): void => {
    const d = draft();
    setDraft(null);
    if (d === null) return;
    const v = d.trim() || null;
    if (v !== props.value) props.onCommit(v);
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        data-testid={props.testId}
        type="text"
        maxLength={LIMITS.shortText}
        placeholder={props.placeholder}
        value={draft() ?? props.value ?? ''}
        onInput={(e) => setDraft(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
        }}
      />
    </div>
  );
}

function TimeField(props: { id: string; label: string; value: string | null; onCommit: (v: string | null) => void }): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="datetime-local"
        step="1"
        value={toLocalInput(props.value)}
        onChange={(e) => {
          const v = fromLocalInput(e.currentTarget.value);
          if (v !== props.value) props.onCommit(v);
        }}
      />
    </div>
  );
}

function ReadOnlyTime(props: { label: string; value: string | null }): JSX.Element {
  return (
    <div class="field readonly">
      <span class="label">{props.label}</span>
      <span class="value">{absoluteTime(props.value)}</span>
    </div>
  );
}

/** The assignee, chosen from the team directory (the current one kept if they left), or "Assign to me". */
function AssigneePicker(props: { value: string | null; onPick: (v: string | null) => void }): JSX.Element {
  const app = useApp();
  const directory = createUserDirectory(app);
  const options = () => assigneeOptions(directory() ?? [], props.value, app.authorName());
  return (
    <div class="field">
      <label for="f-assignee">Assignee</label>
      <div class="assignee-row">
        <select
          id="f-assignee"
          data-testid="field-assignee"
          onChange={(e) => {
            const v = e.currentTarget.value || null;
            if (v !== props.value) props.onPick(v);
          }}
        >
          <option value="" selected={props.value === null}>
            Unassigned
          </option>
          <For each={options()}>
            {(name) => (
              <option value={name} selected={name === props.value}>
                {name}
              </option>
            )}
          </For>
        </select>
        <button type="button" class="btn" data-testid="assign-to-me" disabled={props.value === app.authorName()} onClick={() => props.onPick(app.authorName())}>
          Assign to me
        </button>
      </div>
    </div>
  );
}

/** A workflow-stamped time; a lead may correct it with a reason (recorded in the timeline). */
function StampedTime(props: {
  doc: Y.Doc;
  incidentId: string;
  name: CorrectableMilestone;
  label: string;
  value: string | null;
  onError: (m: string | null) => void;
}): JSX.Element {
  const app = useApp();
  const [open, setOpen] = createSignal(false);
  const [at, setAt] = createSignal('');
  const [reason, setReason] = createSignal('');
  const id = () => `correct-${props.name}`;
  const start = (): void => {
    setAt(toLocalInput(props.value));
    setReason('');
    setOpen(true);
  };
  const save = (e: SubmitEvent): void => {
    e.preventDefault();
    const iso = fromLocalInput(at());
    if (!iso) return props.onError(`Enter the corrected ${props.label.toLowerCase()} time.`);
    if (!reason().trim()) return props.onError('Say why the time is corrected.');
    const res = correctMilestone(props.doc, props.name, iso, reason(), app.authorName());
    props.onError(res.ok ? null : res.error);
    if (res.ok) setOpen(false);
  };
  return (
    <div class="field readonly" data-testid={`stamp-${props.name}`}>
      <span class="label">{props.label}</span>
      <span class="value">{absoluteTime(props.value)}</span>
      <Show when={props.value !== null && app.can('incident:correct', props.incidentId)}>
        <Show
          when={open()}
          fallback={
            <button
              type="button"
              class="link-btn stamp-correct"
              data-testid={`correct-${props.name}`}
              aria-label={`Correct the ${props.label.toLowerCase()} time`}
              onClick={start}
            >
              Correct
            </button>
          }
        >
          <form class="stamp-correction" onSubmit={save} novalidate aria-label={`Correct the ${props.label.toLowerCase()} time`}>
            <label for={`${id()}-at`}>Corrected {props.label.toLowerCase()} time</label>
            <input id={`${id()}-at`} type="datetime-local" step="1" data-testid={`${id()}-at`} value={at()} onInput={(e) => setAt(e.currentTarget.value)} />
            <label for={`${id()}-reason`}>Reason</label>
            <input
              id={`${id()}-reason`}
              type="text"
              maxLength={CLOSING_SUMMARY_MAX}
              data-testid={`${id()}-reason`}
              value={reason()}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            <div class="close-actions">
              <button type="submit" class="btn" data-testid={`${id()}-save`}>
                Save correction
              </button>
              <button type="button" class="btn" onClick={() => setOpen(false)}>
                Cancel
              </button>
            </div>
          </form>
        </Show>
      </Show>
    </div>
  );
}
