/**
 * "/admin/evidence" (admin): how long evidence is kept per incident category before an admin may
 * delete it (GET/PUT /evidence-retention). Each category has its own days or follows the default;
 * fields are checked before saving, a change that shortens a category says that stored items keep
 * the retention they were stored under, and the saved settings are shown as the server returns
 * them. The server enforces the right; the page shows its refusal to those who lack it.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { Retention } from '../../../shared/evidence-api.ts';
import { CATEGORIES, type Category } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { useEvidence } from '../../components/evidence/evidence-context.tsx';
import {
  MAX_RETENTION_DAYS,
  parseRetentionFields,
  retentionFields,
  sameRetention,
  shortenedCategories,
  type RetentionErrors,
  type RetentionFields,
} from '../../components/evidence/retention-form.ts';
import { categoryLabel } from '../../components/labels.ts';
import { AlertMessage } from '../../components/alert-message.tsx';
import { LoadError } from '../../components/load-error.tsx';
import { absoluteTime } from '../../components/time-format.ts';
import '../../components/evidence/evidence.css';

export function EvidenceRetentionPage(): JSX.Element {
  const app = useApp();
  const evidence = useEvidence();
  const [fields, setFields] = createStore<RetentionFields>(retentionFields({ days: {}, default_days: 365 }));
  // Field errors show from the first attempt to save, then follow the typing.
  const [tried, setTried] = createSignal(false);
  const [saving, setSaving] = createSignal(false);
  const [refusal, setRefusal] = createSignal<string | null>(null);
  const [savedAt, setSavedAt] = createSignal<string | null>(null);
  const [saved, { mutate }] = createResource(async () => {
    const res = await evidence.api.retention();
    if (!res.ok) throw new Error(res.error.message);
    setFields(reconcile(retentionFields(res.value)));
    return res.value;
  });

  const parsed = () => parseRetentionFields(fields);
  const errors = (): RetentionErrors => {
    const p = parsed();
    return tried() && !p.ok ? p.error : {};
  };
  const changed = (): boolean => {
    const p = parsed();
    const s = saved();
    return !s || !p.ok || !sameRetention(s, p.value);
  };
  const shortened = () => {
    const p = parsed();
    const s = saved();
    return s && p.ok ? shortenedCategories(s, p.value) : [];
  };

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    setRefusal(null);
    setTried(true);
    const p = parsed();
    if (!p.ok) return;
    setSaving(true);
    const res = await evidence.api.setRetention(p.value);
    setSaving(false);
    if (!res.ok) return void setRefusal(res.error.message);
    // Show what the server stored, not what was typed.
    mutate(res.value);
    setFields(reconcile(retentionFields(res.value)));
    setSavedAt(new Date().toISOString());
  };

  const daysOf = (r: Retention | undefined, c: Category): string => {
    if (!r) return '';
    const own = r.days[c];
    return own === undefined ? `${r.default_days} (default)` : String(own);
  };

  return (
    <section class="admin-page" aria-labelledby="evidence-admin-title">
      <h1 id="evidence-admin-title">Evidence retention</h1>
      <Show when={!app.can('settings:manage')}>
        <p class="warning" role="status">
          Only admins change evidence retention.
        </p>
      </Show>
      <LoadError what="The retention settings" error={saved.error} />
      <form class="card" onSubmit={(e) => void save(e)} aria-labelledby="retention-title" data-testid="retention-form" novalidate>
        <h2 id="retention-title">Days evidence is kept, per incident category</h2>
        <p class="muted small">
          Until then nobody can delete an item, and never while its incident is under legal hold. Each item keeps the retention in force when it was stored: a
          longer setting later extends it, a shorter one never frees anything early.
        </p>
        <div class="field">
          <label for="retention-default">Default (categories without their own)</label>
          <input
            id="retention-default"
            type="number"
            inputMode="numeric"
            min="0"
            max={MAX_RETENTION_DAYS}
            step="1"
            value={fields.defaultDays}
            aria-invalid={errors().default !== undefined}
            onInput={(e) => setFields('defaultDays', e.currentTarget.value)}
            data-testid="retention-default"
          />
          <Show when={errors().default}>
            {(m) => (
              <p class="field-error" role="alert">
                Default: {m()}
              </p>
            )}
          </Show>
        </div>
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th>Category</th>
                <th>Days (empty: the default)</th>
                <th>Saved</th>
              </tr>
            </thead>
            <tbody>
              <For each={CATEGORIES}>
                {(c) => (
                  <tr data-testid="retention-row" data-category={c}>
                    <td>{categoryLabel(c)}</td>
                    <td>
                      <input
                        aria-label={`${categoryLabel(c)}: days kept`}
                        type="number"
                        inputMode="numeric"
                        min="0"
                        max={MAX_RETENTION_DAYS}
                        step="1"
                        placeholder={fields.defaultDays}
                        value={fields.days[c]}
                        aria-invalid={errors()[c] !== undefined}
                        onInput={(e) => setFields('days', c, e.currentTarget.value)}
                        data-testid="retention-days"
                      />
                      <AlertMessage message={errors()[c]} />
                    </td>
                    <td class="num" data-testid="retention-saved-days">
                      {daysOf(saved(), c)}
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
        <Show when={shortened().length > 0}>
          <p class="warning" role="status" data-testid="retention-shortened">
            Shorter than now for {shortened().map(categoryLabel).join(', ')}: evidence already stored keeps its longer retention; only new items get the shorter
            one.
          </p>
        </Show>
        <Show when={refusal()}>
          {(m) => (
            <p class="warning danger" role="alert" data-testid="retention-error">
              Not saved: {m()}
            </p>
          )}
        </Show>
        <div class="form-actions">
          <button type="submit" class="btn primary" disabled={!saved() || saving() || !changed()} data-testid="retention-save">
            {saving() ? 'Saving…' : 'Save retention'}
          </button>
          <Show when={changed() && saved()}>
            <span class="muted small">Unsaved changes</span>
          </Show>
          <Show when={!changed() && savedAt()}>
            {(at) => (
              <span class="muted small" role="status" data-testid="retention-saved">
                Saved {absoluteTime(at())}.
              </span>
            )}
          </Show>
        </div>
      </form>
    </section>
  );
}
