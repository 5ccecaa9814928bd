/**
 * The incident's observables (IP addresses, domains, URLs, hashes, e-mail addresses, accounts,
 * hosts, files): what threat-intel matching and the playbooks' `match.observable_kinds` work on.
 * Written in the incident document, so adding and removing work offline and merge. Several values
 * may be pasted at once (one per line or comma-separated); defanged ones (`hxxp`, `[.]`) are stored
 * live, and each value's kind is detected unless one is chosen. Values are untrusted: text only.
 */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addObservable, removeObservable } from '../../../shared/incident-doc.ts';
import { OBSERVABLE_KINDS, type Observable, type ObservableKind } from '../../../shared/incident-schema.ts';
import { parseObservables, OBSERVABLE_KIND_LABELS } from './observables.ts';
import { AlertMessage } from '../alert-message.tsx';

/** Rows shown before "Show all". */
const SHOWN = 30;

export function ObservablesPanel(props: { doc: Y.Doc; observables: readonly Observable[]; readOnly: boolean }): JSX.Element {
  const [draft, setDraft] = createSignal('');
  const [kind, setKind] = createSignal<ObservableKind | 'detect'>('detect');
  const [note, setNote] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [showAll, setShowAll] = createSignal(false);
  const sorted = createMemo(() => [...props.observables].sort((a, b) => a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value)));
  const shown = createMemo(() => (showAll() ? sorted() : sorted().slice(0, SHOWN)));

  const add = (e: Event): void => {
    e.preventDefault();
    const parsed = parseObservables(draft(), kind(), note());
    if (!parsed.ok) return void setError(parsed.error);
    for (const o of parsed.value) {
      const r = addObservable(props.doc, o);
      if (!r.ok) return void setError(`${o.value}: ${r.error}`);
    }
    setError(null);
    setDraft('');
    setNote('');
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
        </form>
      </Show>
    </section>
  );
}
