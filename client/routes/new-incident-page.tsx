/**
 * "/incidents/new": the form that opens an incident. The incident is created on this device
 * (a UUIDv7 document in IndexedDB), so it works offline; the server learns of it on the next sync.
 * A template (shared/templates.ts) pre-fills category, severity and tags and adds its checklist.
 */
import { Link, useNavigate } from '@tanstack/solid-router';
import { createSignal, For, Show, type JSX } from 'solid-js';
import { z } from 'zod';
import { CATEGORIES, LIMITS, PRIORITIES, SEVERITIES, TLPS, type Category, type Priority, type Severity, type Tlp } from '../../shared/incident-schema.ts';
import { TEMPLATE_IDS, TEMPLATES, templateFor, type IncidentTemplate } from '../../shared/templates.ts';
import { useApp } from '../app-context.tsx';
import { categoryLabel, priorityLabel, severityLabel, tlpLabel } from '../components/labels.ts';
import { fromLocalInput, toLocalInput } from '../components/time-format.ts';
import { AlertMessage } from '../components/alert-message.tsx';

const formSchema = z.object({
  title: z.string().trim().min(1, 'A title is required.').max(LIMITS.title, `Use at most ${LIMITS.title} characters.`),
  description: z.string().max(LIMITS.description),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  priority: z.enum(PRIORITIES),
  tlp: z.enum(TLPS),
  assignee: z.string().trim().max(LIMITS.shortText),
  tags: z.string().max(2_000),
  occurredAt: z.string(),
  detectedAt: z.string(),
  template: z.string(),
});
type Form = z.infer<typeof formSchema>;

export function NewIncidentPage(): JSX.Element {
  const app = useApp();
  const navigate = useNavigate();
  const [form, setForm] = createSignal<Form>({
    title: '',
    description: '',
    category: 'unclassified',
    severity: 'S3',
    priority: 'P3',
    tlp: 'amber',
    assignee: '',
    tags: '',
    occurredAt: '',
    detectedAt: toLocalInput(new Date().toISOString()),
    template: '',
  });
  const template = (): IncidentTemplate | null => templateFor(form().template);
  /** A template pre-fills category, severity and tags (still editable) and brings its checklist. */
  const chooseTemplate = (id: string): void => {
    const t = templateFor(id);
    if (!t) {
      setForm({ ...form(), template: '' });
      return;
    }
    const own = form()
      .tags.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const tags = [...new Set([...t.tags, ...own])].join(', ');
    setForm({ ...form(), template: t.id, category: t.category, severity: t.severity, tags });
  };
  const [errors, setErrors] = createSignal<Partial<Record<keyof Form, string>>>({});
  const [busy, setBusy] = createSignal(false);
  const [failure, setFailure] = createSignal<string | null>(null);
  const set = <K extends keyof Form>(key: K, value: Form[K]): void => {
    const next: Form = { ...form() };
    next[key] = value;
    setForm(next);
  };

  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const parsed = formSchema.safeParse(form());
    if (!parsed.success) {
      const next: Partial<Record<keyof Form, string>> = {};
      for (const issue of parsed.error.issues) next[issue.path[0] as keyof Form] ??= issue.message;
      setErrors(next);
      document.getElementById(`new-${Object.keys(next)[0] ?? 'title'}`)?.focus();
      return;
    }
    const occurredAt = fromLocalInput(parsed.data.occurredAt);
    const detectedAt = fromLocalInput(parsed.data.detectedAt);
    if (occurredAt && detectedAt && occurredAt > detectedAt) {
      setErrors({ occurredAt: 'The incident cannot have occurred after it was detected.' });
      return;
    }
    setErrors({});
    setBusy(true);
    setFailure(null);
    try {
      const tags = [
        ...new Set(
          parsed.data.tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        ),
      ].slice(0, LIMITS.tags);
      const id = await app.engine.createIncident(
        {
          title: parsed.data.title,
          description: parsed.data.description,
          category: parsed.data.category,
          severity: parsed.data.severity,
          priority: parsed.data.priority,
          tlp: parsed.data.tlp,
          assignee: parsed.data.assignee || null,
          occurredAt,
          detectedAt,
          tags,
          templateId: template()?.id ?? null,
          createdBy: app.authorName(),
        },
        { tasks: template()?.tasks ?? [] },
      );
      await navigate({ to: '/incidents/$id', params: { id } });
    } catch (err) {
      setFailure(`The incident could not be saved on this device: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const error = (key: keyof Form): JSX.Element => (
    <Show when={errors()[key]}>
      {(msg) => (
        <p class="field-error" id={`new-${key}-error`} role="alert">
          {msg()}
        </p>
      )}
    </Show>
  );

  return (
    <Show
      when={app.can('incident:write')}
      fallback={
        <section class="empty-state" data-testid="read-only-role">
          <h1>You cannot create incidents</h1>
          <p>Your role lets you read incidents but not create or change them.</p>
        </section>
      }
    >
      <section class="form-page" aria-labelledby="new-incident-heading">
        <div class="page-head">
          <h1 id="new-incident-heading">New incident</h1>
          <Link to="/" class="btn">
            Cancel
          </Link>
        </div>
        <form class="card form-grid" onSubmit={(e) => void submit(e)} novalidate>
          <div class="field span-2">
            <label for="new-template">Template</label>
            <select id="new-template" data-testid="field-template" value={form().template} onChange={(e) => chooseTemplate(e.currentTarget.value)}>
              <option value="">No template</option>
              <For each={TEMPLATE_IDS}>{(id) => <option value={id}>{TEMPLATES[id].label}</option>}</For>
            </select>
            <Show when={template()}>
              {(t) => (
                <div data-testid="template-preview">
                  <span class="muted small">
                    Pre-fills {categoryLabel(t().category)}, {severityLabel(t().severity)} and {t().tasks.length} tasks:
                  </span>
                  <ol class="template-tasks">
                    <For each={t().tasks}>{(task) => <li>{task}</li>}</For>
                  </ol>
                </div>
              )}
            </Show>
          </div>
          <div class="field span-2">
            <label for="new-title">Title</label>
            <input
              id="new-title"
              data-testid="field-title"
              type="text"
              required
              maxLength={LIMITS.title}
              placeholder="What is happening? e.g. Ransomware on file server FS01"
              value={form().title}
              onInput={(e) => set('title', e.currentTarget.value)}
              aria-invalid={errors().title ? 'true' : undefined}
              aria-describedby={errors().title ? 'new-title-error' : undefined}
              autofocus
            />
            {error('title')}
          </div>
          <div class="field span-2">
            <label for="new-description">Description</label>
            <textarea
              id="new-description"
              data-testid="field-description"
              rows={5}
              maxLength={LIMITS.description}
              placeholder="What is known so far, how it was detected, who reported it"
              value={form().description}
              onInput={(e) => set('description', e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="new-severity">Severity</label>
            <select id="new-severity" data-testid="field-severity" value={form().severity} onChange={(e) => set('severity', e.currentTarget.value as Severity)}>
              <For each={SEVERITIES}>{(s) => <option value={s}>{severityLabel(s)}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for="new-priority">Priority</label>
            <select id="new-priority" data-testid="field-priority" value={form().priority} onChange={(e) => set('priority', e.currentTarget.value as Priority)}>
              <For each={PRIORITIES}>{(p) => <option value={p}>{priorityLabel(p)}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for="new-category">Category</label>
            <select id="new-category" data-testid="field-category" value={form().category} onChange={(e) => set('category', e.currentTarget.value as Category)}>
              <For each={CATEGORIES}>{(c) => <option value={c}>{categoryLabel(c)}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for="new-tlp">Traffic Light Protocol</label>
            <select id="new-tlp" data-testid="field-tlp" value={form().tlp} onChange={(e) => set('tlp', e.currentTarget.value as Tlp)}>
              <For each={TLPS}>{(t) => <option value={t}>{tlpLabel(t)}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for="new-assignee">Assignee</label>
            <input
              id="new-assignee"
              data-testid="field-assignee"
              type="text"
              maxLength={LIMITS.shortText}
              placeholder="Who handles it"
              value={form().assignee}
              onInput={(e) => set('assignee', e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="new-tags">Tags</label>
            <input
              id="new-tags"
              data-testid="field-tags"
              type="text"
              placeholder="Comma separated, e.g. vpn, finance"
              value={form().tags}
              onInput={(e) => set('tags', e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="new-occurredAt">Occurred at</label>
            <input
              id="new-occurredAt"
              data-testid="field-occurred"
              type="datetime-local"
              step="1"
              value={form().occurredAt}
              onInput={(e) => set('occurredAt', e.currentTarget.value)}
              aria-invalid={errors().occurredAt ? 'true' : undefined}
            />
            {error('occurredAt')}
          </div>
          <div class="field">
            <label for="new-detectedAt">Detected at</label>
            <input
              id="new-detectedAt"
              data-testid="field-detected"
              type="datetime-local"
              step="1"
              value={form().detectedAt}
              onInput={(e) => set('detectedAt', e.currentTarget.value)}
            />
          </div>
          <AlertMessage message={failure()} class="field-error span-2" />
          <div class="form-actions span-2">
            <button type="submit" class="btn primary big" data-testid="create-incident" disabled={busy()}>
              {busy() ? 'Creating…' : 'Create incident'}
            </button>
            <span class="muted">Saved on this device first; works offline.</span>
          </div>
        </form>
      </section>
    </Show>
  );
}
