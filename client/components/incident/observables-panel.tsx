/**
 * The incident's observables (IP addresses, domains, URLs, hashes, e-mail addresses, accounts,
 * hosts, files): what threat-intel matching and the playbooks' `match.observable_kinds` work on.
 * Written in the incident document, so adding and removing work offline and merge. Several values
 * may be pasted at once (one per line or comma-separated); defanged ones (`hxxp`, `[.]`) are stored
 * live, and each value's kind is detected unless one is chosen (for that paste only: the choice
 * goes back to Detect after each add). The values that cannot be added are listed with their
 * reason and left in the box; the others are added. Values are untrusted: text only.
 */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addObservable, removeObservable } from '../../../shared/incident-doc.ts';
import { OBSERVABLE_KINDS, type Observable, type ObservableKind } from '../../../shared/incident-schema.ts';
import { parseObservables, OBSERVABLE_KIND_LABELS, type RejectedValue } from './observables.ts';
import { AlertMessage } from '../alert-message.tsx';

/** Rows shown before "Show all". */
const SHOWN = 30;
/** Characters of a value that was not added shown in its list (the whole value stays in the box). */
const REJECTED_SHOWN = 120;

export function ObservablesPanel(props: { doc: Y.Doc; observables: readonly Observable[]; readOnly: boolean }): JSX.Element {
  const [draft, setDraft] = createSignal('');
  const [kind, setKind] = createSignal<ObservableKind | 'detect'>('detect');
  const [note, setNote] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  // The values of the last paste that were not added, until the next one.
  const [rejected, setRejected] = createSignal<readonly RejectedValue[]>([]);
  const [showAll, setShowAll] = createSignal(false);
  const sorted = createMemo(() => [...props.observables].sort((a, b) => a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value)));
  const shown = createMemo(() => (showAll() ? sorted() : sorted().slice(0, SHOWN)));

  const add = (e: Event): void => {
    e.preventDefault();
    const parsed = parseObservables(draft(), kind(), note());
    setRejected([]);
    if (!parsed.ok) return void setError(parsed.error);
    const notAdded = [...parsed.value.rejected];
    for (const o of parsed.value.observables) {
      const r = addObservable(props.doc, o);
      if (!r.ok) notAdded.push({ value: o.value, reason: r.error });
    }
    setError(null);
    setRejected(notAdded);
    // What was not added stays in the box, so its kind can be chosen and it added again.
    setDraft(notAdded.map((r) => r.value).join('\n'));
    if (notAdded.length === 0) setNote('');
    // A kind chosen for one paste would silently apply to the next.
    setKind('detect');
  };

  return (
    <section class="card observables" aria-labelledby="observables-title" data-testid="observables-panel">
      <div class="card-head">
        <h2 id="observables-title">Observables</h2>
        <span class="muted">{props.observables.length}</span>
      </div>
      <Show when={props.observables.length > 0} fallback={<p class="muted small">No observables yet. Intel matching and playbooks work on them.</p>}>
        <ul class="obs-list">
          <For each={shown()}>
            {(o) => (
              <li class="obs-row" data-testid="observable" data-kind={o.kind}>
                <span class="badge obs-kind">{OBSERVABLE_KIND_LABELS[o.kind]}</span>
                <code class="obs-value">{o.value}</code>
                <Show when={o.note}>
                  <span class="muted small obs-note">{o.note}</span>
                </Show>
                <Show when={!props.readOnly}>
                  <button type="button" class="chip-remove" aria-label={`Remove ${o.kind} ${o.value}`} onClick={() => removeObservable(props.doc, o)}>
                    ✕
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <Show when={!showAll() && sorted().length > SHOWN}>
          <button type="button" class="link-btn small" onClick={() => setShowAll(true)}>
            Show all {sorted().length}
          </button>
        </Show>
      </Show>
      <Show when={!props.readOnly}>
        <form class="obs-add" onSubmit={add}>
          <div class="field">
            <label for="obs-value">Add observables</label>
            <textarea
              id="obs-value"
              rows={2}
              data-testid="observable-input"
              placeholder="203.0.113.7, evil[.]example, hxxps://…, a hash — one per line or comma-separated"
              value={draft()}
              onInput={(e) => setDraft(e.currentTarget.value)}
            />
          </div>
          <div class="obs-add-row">
            <label class="obs-add-kind">
              <span>Kind</span>
              <select value={kind()} onChange={(e) => setKind(e.currentTarget.value as ObservableKind | 'detect')} data-testid="observable-kind">
                <option value="detect">Detect</option>
                <For each={OBSERVABLE_KINDS}>{(k) => <option value={k}>{OBSERVABLE_KIND_LABELS[k]}</option>}</For>
              </select>
            </label>
            <label class="obs-add-note">
              <span>Note (optional)</span>
              <input type="text" maxLength={200} value={note()} onInput={(e) => setNote(e.currentTarget.value)} />
            </label>
            <button type="submit" class="btn" data-testid="observable-add">
              Add
            </button>
          </div>
          <AlertMessage message={error()} />
          <Show when={rejected().length > 0}>
            <div class="field-error" role="alert" data-testid="observable-rejected">
              <span>Not added ({rejected().length}):</span>
              <ul>
                <For each={rejected()}>
                  {(r) => (
                    <li data-testid="observable-rejected-item">
                      <code class="obs-value">{r.value.length > REJECTED_SHOWN ? `${r.value.slice(0, REJECTED_SHOWN)}…` : r.value}</code>: {r.reason}
                    </li>
                  )}
                </For>
              </ul>
            </div>
          </Show>
        </form>
      </Show>
    </section>
  );
}
