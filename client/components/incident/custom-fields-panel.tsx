/**
 * Custom fields: the values stored in the document (editable), the fields the lead defined for
 * the incident's category (from the server, when it can be reached) shown even while empty,
 * and a way to add a field by name. Values are strings, numbers, booleans or empty.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { setCustomField } from '../../../shared/incident-doc.ts';
import { LIMITS } from '../../../shared/incident-schema.ts';
import type { CustomFieldDefinition } from '../../local/incident-api.ts';

type Value = string | number | boolean | null;

export function CustomFieldsPanel(props: {
  doc: Y.Doc;
  values: Record<string, Value>;
  definitions: CustomFieldDefinition[];
  onError: (message: string | null) => void;
}): JSX.Element {
  const [newName, setNewName] = createSignal('');
  const names = (): string[] => {
    const defined = props.definitions.map((d) => d.name);
    const extra = Object.keys(props.values)
      .filter((n) => !defined.includes(n))
      .sort();
    return [...defined, ...extra];
  };
  const definition = (name: string): CustomFieldDefinition | undefined => props.definitions.find((d) => d.name === name);
  const write = (name: string, value: Value): void => {
    const res = setCustomField(props.doc, name, value);
    props.onError(res.ok ? null : res.error);
  };
  const add = (): void => {
    const name = newName().trim();
    if (!name) return;
    if (!(name in props.values)) write(name, '');
    setNewName('');
  };
  return (
    <section class="card" aria-labelledby="custom-title" data-testid="custom-fields">
      <h2 id="custom-title">Custom fields</h2>
      <Show when={names().length === 0}>
        <p class="muted small">No custom fields for this incident yet.</p>
      </Show>
      <div class="fields-grid">
        <For each={names()}>
          {(name) => <CustomField name={name} value={props.values[name] ?? null} definition={definition(name)} onCommit={(v) => write(name, v)} />}
        </For>
      </div>
      <div class="chip-add custom-add">
        <label class="visually-hidden" for="custom-new">
          New custom field name
        </label>
        <input
          id="custom-new"
          type="text"
          maxLength={LIMITS.shortText}
          placeholder="Field name"
          value={newName()}
          onInput={(e) => setNewName(e.currentTarget.value)}
          onKeyDown={(e) => e.key === 'Enter' && add()}
          data-testid="custom-new-name"
        />
        <button type="button" class="btn" onClick={add} data-testid="custom-add">
          Add field
        </button>
      </div>
    </section>
  );
}

function CustomField(props: { name: string; value: Value; definition: CustomFieldDefinition | undefined; onCommit: (v: Value) => void }): JSX.Element {
  const id = (): string => `cf-${props.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const type = (): string => props.definition?.type ?? (typeof props.value === 'boolean' ? 'boolean' : typeof props.value === 'number' ? 'number' : 'string');
  const label = (): string => `${props.definition?.label ?? props.name}${props.definition?.required ? ' *' : ''}`;
  const commitText = (raw: string): void => {
    if (type() === 'number') {
      const n = raw.trim() === '' ? null : Number(raw);
      if (n === null || Number.isFinite(n)) props.onCommit(n);
      return;
    }
    const v = raw.trim() === '' ? null : raw;
    if (v !== props.value) props.onCommit(v);
  };
  return (
    <div class="field" data-testid="custom-field">
      <label for={id()}>{label()}</label>
      <Show
        when={type() === 'boolean'}
        fallback={
          <Show
            when={type() === 'select' && props.definition?.options?.length}
            fallback={
              <input
                id={id()}
                type={type() === 'number' ? 'number' : type() === 'date' ? 'date' : 'text'}
                value={props.value === null ? '' : String(props.value)}
                onChange={(e) => commitText(e.currentTarget.value)}
              />
            }
          >
            <select id={id()} value={props.value === null ? '' : String(props.value)} onChange={(e) => commitText(e.currentTarget.value)}>
              <option value="">—</option>
              <For each={props.definition?.options ?? []}>{(o) => <option value={o}>{o}</option>}</For>
            </select>
          </Show>
        }
      >
        <input id={id()} type="checkbox" checked={props.value === true} onChange={(e) => props.onCommit(e.currentTarget.checked)} />
      </Show>
    </div>
  );
}
