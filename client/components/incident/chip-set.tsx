/** An editable set of short strings (tags, affected assets): chips with remove, and an add box. */
import { createSignal, For, type JSX } from 'solid-js';
import { LIMITS } from '../../../shared/incident-schema.ts';

export function ChipSet(props: {
  id: string;
  label: string;
  values: string[];
  placeholder: string;
  onAdd: (value: string) => void;
  onRemove: (value: string) => void;
}): JSX.Element {
  const [draft, setDraft] = createSignal('');
  const add = (e: Event): void => {
    e.preventDefault();
    for (const v of draft().split(',')) if (v.trim()) props.onAdd(v.trim());
    setDraft('');
  };
  return (
    <div class="field chip-field">
      <label for={props.id}>{props.label}</label>
      <ul class="chips" aria-label={props.label}>
        <For each={props.values}>
          {(v) => (
            <li class="chip">
              <span>{v}</span>
              <button type="button" class="chip-remove" onClick={() => props.onRemove(v)} aria-label={`Remove ${v}`}>
                ✕
              </button>
            </li>
          )}
        </For>
      </ul>
      <div class="chip-add">
        <input
          id={props.id}
          type="text"
          maxLength={LIMITS.shortText}
          placeholder={props.placeholder}
          value={draft()}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') add(e);
          }}
        />
        <button type="button" class="btn" onClick={add} aria-label={`Add to ${props.label}`}>
          Add
        </button>
      </div>
    </div>
  );
}
