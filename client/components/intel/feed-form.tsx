/**
 * Create or edit a feed: name, pull URL or push, format, schedule, default confidence, TLP,
 * indicator types, enabled, and the parser options of the chosen format as fields (CSV columns,
 * delimiter and header; JSON preset or JSONata expression; TAXII collection; the named secret for
 * TAXII/MISP auth). Refusals from the form or the server are shown next to their field.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import { FEED_FORMATS, INDICATOR_TYPES, TLP_LEVELS, type Feed, type FeedBody } from '../../../shared/intel-api.ts';
import { createStore } from 'solid-js/store';
import { bodyFromForm, COLUMN_KEYS, formFromFeed, type FeedForm as FormState } from './feed-form-body.ts';
import { AlertMessage } from '../alert-message.tsx';

const FORMAT_LABELS: Record<(typeof FEED_FORMATS)[number], string> = {
  plain: 'Plain list (one value per line)',
  csv: 'CSV',
  json: 'JSON',
  misp: 'MISP feed (manifest.json + events)',
  stix: 'STIX 2.1 bundle',
  taxii: 'TAXII 2.1 collection',
};

export function FeedForm(props: { feed: Feed | null; onSubmit: (body: FeedBody) => Promise<string | null>; onCancel: () => void }): JSX.Element {
  const [form, setForm] = createStore<FormState>(formFromFeed(props.feed));
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [serverError, setServerError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const id = (name: string): string => `feed-${props.feed?.id ?? 'new'}-${name}`;
  const fieldError = (key: string): JSX.Element => (
    <Show when={errors()[key]}>
      {(m) => (
        <span class="field-error" role="alert">
          {m()}
        </span>
      )}
    </Show>
  );

  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const res = bodyFromForm(form);
    if (!res.ok) {
      setErrors(res.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      setServerError(await props.onSubmit(res.body));
    } finally {
      setBusy(false);
    }
  };
  const toggleType = (t: (typeof INDICATOR_TYPES)[number], on: boolean): void => {
    setForm('types', (types) => (on ? [...types, t] : types.filter((x) => x !== t)));
  };

  return (
    <form
      class="card intel-form"
      onSubmit={(e) => void submit(e)}
      novalidate
      aria-label={props.feed ? `Edit feed ${props.feed.name}` : 'New feed'}
      data-testid="feed-form"
    >
      <h2>{props.feed ? `Edit ${props.feed.name}` : 'New feed'}</h2>
      <div class="form-field">
        <label for={id('name')}>Name</label>
        <input id={id('name')} type="text" maxLength={200} value={form.name} onInput={(e) => setForm('name', e.currentTarget.value)} data-testid="feed-name" />
        {fieldError('name')}
      </div>
      <fieldset class="intel-fieldset">
        <legend>Source</legend>
        <label class="check">
          <input type="radio" name={id('mode')} checked={form.mode === 'pull'} onChange={() => setForm('mode', 'pull')} /> Pulled from a URL
        </label>{' '}
        <label class="check">
          <input type="radio" name={id('mode')} checked={form.mode === 'push'} onChange={() => setForm('mode', 'push')} data-testid="feed-push" /> Pushed to
          Sentpilot (POST /api/v1/feeds/&#123;id&#125;/push with an API token)
        </label>
        <Show when={form.mode === 'pull'}>
          <div class="form-field">
            <label for={id('url')}>URL</label>
            <input id={id('url')} type="url" value={form.url} onInput={(e) => setForm('url', e.currentTarget.value)} data-testid="feed-url" />
            {fieldError('url')}
          </div>
          <div class="form-field">
            <label for={id('schedule')}>Pull every (minutes)</label>
            <input
              id={id('schedule')}
              type="number"
              min="5"
              max="10080"
              value={form.schedule_minutes}
              onInput={(e) => setForm('schedule_minutes', e.currentTarget.value)}
            />
            {fieldError('schedule_minutes')}
          </div>
        </Show>
      </fieldset>
      <div class="form-field">
        <label for={id('format')}>Format</label>
        <select
          id={id('format')}
          value={form.format}
          onChange={(e) => setForm('format', FEED_FORMATS.find((f) => f === e.currentTarget.value) ?? 'plain')}
          data-testid="feed-format"
        >
          <For each={FEED_FORMATS}>{(f) => <option value={f}>{FORMAT_LABELS[f]}</option>}</For>
        </select>
      </div>
      <FormatOptions form={form} setForm={setForm} id={id} fieldError={fieldError} />
      <div class="form-field">
        <label for={id('confidence')}>Default confidence (0–100)</label>
        <input
          id={id('confidence')}
          type="number"
          min="0"
          max="100"
          value={form.default_confidence}
          onInput={(e) => setForm('default_confidence', e.currentTarget.value)}
        />
        {fieldError('default_confidence')}
      </div>
      <div class="form-field">
        <label for={id('tlp')}>TLP</label>
        <select id={id('tlp')} value={form.tlp} onChange={(e) => setForm('tlp', TLP_LEVELS.find((t) => t === e.currentTarget.value) ?? 'amber')}>
          <For each={TLP_LEVELS}>{(t) => <option value={t}>TLP:{t.toUpperCase()}</option>}</For>
        </select>
      </div>
      <fieldset class="intel-fieldset">
        <legend>Indicator types kept (none ticked: all)</legend>
        <div class="intel-types">
          <For each={INDICATOR_TYPES}>
            {(t) => (
              <label class="check">
                <input type="checkbox" checked={form.types.includes(t)} onChange={(e) => toggleType(t, e.currentTarget.checked)} /> {t}
              </label>
            )}
          </For>
        </div>
        {fieldError('types')}
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => setForm('enabled', e.currentTarget.checked)} /> Enabled
      </label>
      <AlertMessage message={serverError()} class="warning danger" />
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={busy()} data-testid="feed-save">
          {props.feed ? 'Save' : 'Create feed'}
        </button>
        <button type="button" class="btn" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type SetForm = ReturnType<typeof createStore<FormState>>[1];

function FormatOptions(props: { form: FormState; setForm: SetForm; id: (n: string) => string; fieldError: (k: string) => JSX.Element }): JSX.Element {
  const f = (): FormState => props.form;
  const secretField = (): JSX.Element => (
    <div class="form-field">
      <label for={props.id('secret')}>Auth secret (a connector secret name; empty for none)</label>
      <input id={props.id('secret')} type="text" maxLength={64} value={f().auth_secret} onInput={(e) => props.setForm('auth_secret', e.currentTarget.value)} />
      {props.fieldError('auth_secret')}
    </div>
  );
  return (
    <>
      <Show when={f().format === 'csv'}>
        <fieldset class="intel-fieldset">
          <legend>CSV</legend>
          <div class="form-field">
            <label for={props.id('delimiter')}>Delimiter (\t for tab)</label>
            <input
              id={props.id('delimiter')}
              type="text"
              maxLength={2}
              value={f().delimiter}
              onInput={(e) => props.setForm('delimiter', e.currentTarget.value)}
            />
            {props.fieldError('delimiter')}
          </div>
          <label class="check">
            <input type="checkbox" checked={f().header} onChange={(e) => props.setForm('header', e.currentTarget.checked)} /> The first line is a header (also a
            commented “# header” line)
          </label>
          <p class="muted small">Columns: a 0-based number or a header name; the value column is required when any is set.</p>
          <div class="form-grid">
            <For each={COLUMN_KEYS}>
              {(k) => (
                <div class="form-field">
                  <label for={props.id(`col-${k}`)}>{k.replace('_', ' ')}</label>
                  <input
                    id={props.id(`col-${k}`)}
                    type="text"
                    maxLength={100}
                    value={f().columns[k]}
                    onInput={(e) => props.setForm('columns', k, e.currentTarget.value)}
                  />
                  {props.fieldError(`column.${k}`)}
                </div>
              )}
            </For>
          </div>
        </fieldset>
      </Show>
      <Show when={f().format === 'json'}>
        <fieldset class="intel-fieldset">
          <legend>JSON</legend>
          <label class="check">
            <input type="radio" checked={f().json_mode === 'preset'} onChange={() => props.setForm('json_mode', 'preset')} /> Preset
          </label>{' '}
          <label class="check">
            <input type="radio" checked={f().json_mode === 'expression'} onChange={() => props.setForm('json_mode', 'expression')} /> JSONata expression
          </label>
          <Show
            when={f().json_mode === 'expression'}
            fallback={
              <select
                aria-label="Preset"
                value={f().preset}
                onChange={(e) => props.setForm('preset', e.currentTarget.value === 'cisa_kev' ? 'cisa_kev' : 'otx')}
              >
                <option value="otx">AlienVault OTX pulses</option>
                <option value="cisa_kev">CISA Known Exploited Vulnerabilities</option>
              </select>
            }
          >
            <div class="form-field">
              <label for={props.id('expression')}>Expression giving [&#123;value, type?, …&#125;]</label>
              <textarea
                id={props.id('expression')}
                maxLength={4000}
                value={f().expression}
                onInput={(e) => props.setForm('expression', e.currentTarget.value)}
              />
              {props.fieldError('expression')}
            </div>
          </Show>
        </fieldset>
      </Show>
      <Show when={f().format === 'taxii'}>
        <fieldset class="intel-fieldset">
          <legend>TAXII 2.1</legend>
          <div class="form-field">
            <label for={props.id('collection')}>Collection id</label>
            <input
              id={props.id('collection')}
              type="text"
              maxLength={200}
              value={f().collection}
              onInput={(e) => props.setForm('collection', e.currentTarget.value)}
            />
            {props.fieldError('collection')}
          </div>
          {secretField()}
        </fieldset>
      </Show>
      <Show when={f().format === 'misp'}>{secretField()}</Show>
    </>
  );
}
