/**
 * Evidence in the timeline: the entry that recorded an item (with "Show item"), and on any entry
 * the items linked to it (each a link to its row in the evidence panel, with Unlink) and "Link
 * evidence" to pick one of the incident's other items (known from their entries, so offline too).
 */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { setEntryEvidence, type TimelineEvidence } from '../../../shared/incident-doc.ts';
import type { TimelineEntry } from '../../../shared/incident-schema.ts';
import type { EvidencePayload } from '../../../shared/timeline-payloads.ts';
import { AlertMessage } from '../alert-message.tsx';

/** The entry of an evidence item the server stored. */
export function EvidenceEntry(props: { text: string; data: EvidencePayload }): JSX.Element {
  return (
    <p class="tl-text">
      {props.text}{' '}
      <button type="button" class="link-btn small" onClick={() => showEvidence(props.data.evidence_id)}>
        Show item
      </button>
    </p>
  );
}

/** Scroll the evidence panel's row of this item into view and focus it. */
function showEvidence(id: string): void {
  const row = document.getElementById(`evidence-${id}`);
  if (!row) return;
  row.scrollIntoView({ block: 'center' });
  row.focus({ preventScroll: true });
}

/**
 * The evidence linked to an entry (each a link to its row in the evidence panel, with Unlink),
 * and "Link evidence" to pick one of the incident's other items.
 */
export function EvidenceLinks(props: { doc: Y.Doc; entry: TimelineEntry; evidence: readonly TimelineEvidence[]; readOnly: boolean }): JSX.Element {
  const [picking, setPicking] = createSignal(false);
  const [choice, setChoice] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const nameOf = (id: string): string => props.evidence.find((e) => e.id === id)?.name ?? `evidence ${id.slice(0, 8)}`;
  // The item an `evidence` entry records is that entry's subject, not something to link.
  const linkable = createMemo(() => props.evidence.filter((e) => e.entryId !== props.entry.id && !props.entry.evidence.includes(e.id)));
  // Links are added from notes (what analysts write); any entry shows the links it has.
  const canLink = (): boolean => !props.readOnly && props.entry.kind === 'note' && linkable().length > 0;
  const set = (id: string, linked: boolean): void => {
    const r = setEntryEvidence(props.doc, props.entry.id, id, linked);
    setError(r.ok ? null : r.error);
    if (r.ok && linked) {
      setPicking(false);
      setChoice('');
    }
  };
  return (
    <Show when={props.entry.evidence.length > 0 || canLink()}>
      <div class="tl-evidence" data-testid="timeline-evidence">
        <For each={props.entry.evidence}>
          {(id) => (
            <span class="chip tl-evidence-link">
              <button type="button" class="link-btn" title="Show it in the evidence panel" onClick={() => showEvidence(id)}>
                {nameOf(id)}
              </button>
              <Show when={!props.readOnly}>
                <button type="button" class="chip-remove" aria-label={`Unlink ${nameOf(id)}`} title="Unlink" onClick={() => set(id, false)}>
                  ×
                </button>
              </Show>
            </span>
          )}
        </For>
        <Show when={canLink()}>
          <Show
            when={picking()}
            fallback={
              <button type="button" class="link-btn small" onClick={() => setPicking(true)} data-testid="timeline-link-evidence">
                Link evidence
              </button>
            }
          >
            <form
              class="tl-evidence-pick"
              onSubmit={(e) => {
                e.preventDefault();
                if (choice()) set(choice(), true);
                else setError('Choose an item to link.');
              }}
            >
              <select aria-label="Evidence to link" value={choice()} onChange={(e) => setChoice(e.currentTarget.value)}>
                <option value="">Choose evidence…</option>
                <For each={linkable()}>{(e) => <option value={e.id}>{e.name}</option>}</For>
              </select>
              <button type="submit" class="btn small">
                Link
              </button>
              <button type="button" class="btn small" onClick={() => setPicking(false)}>
                Cancel
              </button>
            </form>
          </Show>
        </Show>
        <AlertMessage message={error()} />
      </div>
    </Show>
  );
}
