/**
 * "/admin/fields" (leads and admins): the custom fields each incident category carries — name,
 * label, type (text, number, yes/no, date, or a choice among options) and whether it is required.
 * The incident page shows a category's fields even while empty, and the API checks values
 * against them. Rows are checked with the server's own schema before saving; the server's answer
 * (or refusal) is shown as it comes. Changing category with unsaved edits asks first.
 */
import { createSignal, For, Index, Show, type JSX } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { CATEGORIES, type Category } from '../../../shared/incident-schema.ts';
import { CUSTOM_FIELD_TYPES } from '../../../shared/templates.ts';
import { useApp } from '../../app-context.tsx';
import { categoryLabel } from '../../components/labels.ts';
import { emptyRow, parseRows, rowsOf, type FieldRow, type FieldType } from './field-defs-form.ts';

const TYPE_LABELS: Record<FieldType, string> = { string: 'Text', number: 'Number', boolean: 'Yes / no', date: 'Date', select: 'Choice' };

export function FieldsPage(): JSX.Element {
  const app = useApp();
  const [category, setCategory] = createSignal<Category>('ransomware');
  const [rows, setRows] = createStore<FieldRow[]>([]);
  const [loaded, setLoaded] = createSignal<string>('[]');
  const [problems, setProblems] = createSignal<string[]>([]);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const dirty = (): boolean => JSON.stringify(rows) !== loaded();

  const load = async (c: Category): Promise<void> => {
    setBusy(true);
    const res = await app.api.fieldDefinitions(c);
    setBusy(false);
    if (c !== category()) return;
    if (!res.ok) return void setLoadError(res.error.kind === 'network' ? 'The server cannot be reached.' : res.error.message);
    setLoadError(null);
    const next = rowsOf(res.value.fields);
    setRows(reconcile(next));
    setLoaded(JSON.stringify(next));
  };
  void load(category());

  const choose = (c: Category): void => {
    if (dirty() && !confirm('Leave the unsaved changes to these fields?')) return;
    setCategory(c);
    setProblems([]);
    setNotice(null);
    void load(c);
  };

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setNotice(null);
    const parsed = parseRows(rows);
    if (!parsed.ok) return void setProblems(parsed.error);
    setProblems([]);
    setBusy(true);
    const c = category();
    const res = await app.api.saveFieldDefinitions(c, parsed.value);
    setBusy(false);
    if (!res.ok) return void setProblems([res.error.message]);
    const next = rowsOf(res.value.fields);
    setRows(reconcile(next));
    setLoaded(JSON.stringify(next));
    setNotice(`Saved ${next.length} field${next.length === 1 ? '' : 's'} for ${categoryLabel(c)}.`);
  };

  return (
    <section class="list-page" aria-labelledby="fields-title">
      <div class="page-head">
        <h1 id="fields-title">Custom fields</h1>
        <label class="fields-category">
          <span>Category</span>
          <select value={category()} onChange={(e) => choose(e.currentTarget.value as Category)} data-testid="fields-category">
            <For each={CATEGORIES}>{(c) => <option value={c}>{categoryLabel(c)}</option>}</For>
          </select>
        </label>
      </div>
      <Show when={!app.can('template:manage')}>
        <p class="warning" role="status">
          Your role cannot change custom fields; leads and admins can.
        </p>
      </Show>
      <p class="muted">Incidents of this category show these fields even while empty, and the API checks their values.</p>
      <Show when={loadError()}>
        {(m) => (
          <p class="warning danger" role="alert">
            The fields could not be loaded: {m()}
          </p>
        )}
      </Show>
      <form class="card" onSubmit={(e) => void save(e)} data-testid="fields-form">
        <Show when={rows.length > 0} fallback={<p class="muted small">No custom fields for {categoryLabel(category())} yet.</p>}>
          <table class="fields-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Label</th>
                <th scope="col">Type</th>
                <th scope="col">Options (for a choice)</th>
                <th scope="col">Required</th>
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <Index each={rows}>
                {(row, i) => (
                  <tr data-testid="field-row">
                    <td>
                      <input
                        type="text"
                        aria-label={`Field ${i + 1} name`}
                        value={row().name}
                        maxLength={60}
                        placeholder="bitcoin_wallet"
                        onInput={(e) => setRows(i, 'name', e.currentTarget.value)}
                      />
                    </td>
                    <td>
                      <input
                        type="text"
                        aria-label={`Field ${i + 1} label`}
                        value={row().label}
                        maxLength={120}
                        onInput={(e) => setRows(i, 'label', e.currentTarget.value)}
                      />
                    </td>
                    <td>
                      <select aria-label={`Field ${i + 1} type`} value={row().type} onChange={(e) => setRows(i, 'type', e.currentTarget.value as FieldType)}>
                        <For each={CUSTOM_FIELD_TYPES}>{(t) => <option value={t}>{TYPE_LABELS[t]}</option>}</For>
                      </select>
                    </td>
                    <td>
                      <input
                        type="text"
                        aria-label={`Field ${i + 1} options`}
                        value={row().options}
                        disabled={row().type !== 'select'}
                        placeholder={row().type === 'select' ? 'LockBit, BlackCat' : 'only for a choice'}
                        onInput={(e) => setRows(i, 'options', e.currentTarget.value)}
                      />
                    </td>
                    <td class="fields-required">
                      <input
                        type="checkbox"
                        aria-label={`Field ${i + 1} required`}
                        checked={row().required}
                        onChange={(e) => setRows(i, 'required', e.currentTarget.checked)}
                      />
                    </td>
                    <td>
                      <button
                        type="button"
                        class="chip-remove"
                        aria-label={`Remove field ${i + 1}`}
                        onClick={() => setRows((r) => r.filter((_, j) => j !== i))}
                      >
                        ✕
                      </button>
                    </td>
                  </tr>
                )}
              </Index>
            </tbody>
          </table>
        </Show>
        <Show when={problems().length > 0}>
          <ul class="field-error" role="alert" data-testid="fields-problems">
            <For each={problems()}>{(p) => <li>{p}</li>}</For>
          </ul>
        </Show>
        <Show when={notice()}>
          {(n) => (
            <p class="muted small" role="status" data-testid="fields-saved">
              {n()}
            </p>
          )}
        </Show>
        <div class="fields-actions">
          <button type="button" class="btn" onClick={() => setRows(rows.length, emptyRow())} data-testid="fields-add">
            Add field
          </button>
          <button type="submit" class="btn primary" disabled={busy() || !app.can('template:manage')} data-testid="fields-save">
            {busy() ? 'Saving…' : 'Save'}
          </button>
          <Show when={dirty()}>
            <span class="muted small">Unsaved changes</span>
          </Show>
        </div>
      </form>
    </section>
  );
}
