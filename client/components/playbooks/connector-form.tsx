/**
 * One connector's settings for an admin: the endpoint and the non-secret settings (JSON) as
 * stored, and each secret field as an empty password input with a "set" marker. Secrets never
 * come back from the server, so they are never pre-filled: a field left empty keeps its stored
 * value. The body is checked with the shared schema before it is sent; errors name the field.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type { Connector } from '../../../shared/playbooks-api.ts';
import { absoluteTime } from '../time-format.ts';
import { connectorBodyOf } from './connector-body.ts';
import { usePlaybooks } from './playbooks-context.tsx';
import { AlertMessage } from '../alert-message.tsx';
import './playbooks.css';

/** `onSaved` runs after the server stored it (the page re-reads the list and says so). */
export function ConnectorForm(props: { connector: Connector; onSaved: () => void }): JSX.Element {
  const pb = usePlaybooks();
  const c = (): Connector => props.connector;
  const [endpoint, setEndpoint] = createSignal(c().endpoint ?? '');
  const [settings, setSettings] = createSignal(JSON.stringify(c().settings, null, 2));
  const [secrets, setSecrets] = createSignal<Record<string, string>>({});
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const idOf = (field: string): string => `connector-${c().name}-${field}`;

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const parsed = connectorBodyOf({ endpoint: endpoint(), settings: settings(), secrets: secrets() });
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    const res = await pb.api.putConnector(c().name, parsed.value);
    setBusy(false);
    if (!res.ok) {
      setError(res.error.message);
      return;
    }
    setError(null);
    setSecrets({});
    props.onSaved();
  };

  return (
    <form
      class="card pb-connector"
      onSubmit={(e) => void save(e)}
      novalidate
      aria-label={`Connector ${c().name}`}
      data-testid="connector"
      data-connector={c().name}
    >
      <div class="card-head">
        <h3>
          {c().name}{' '}
          <span class="pb-chip" data-tone={c().configured ? 'ok' : 'idle'}>
            {c().configured ? 'configured' : 'not configured'}
          </span>
        </h3>
        <Show when={c().updated_at}>{(at) => <span class="muted small">updated {absoluteTime(at())}</span>}</Show>
      </div>
      <Show when={c().description}>
        <p class="muted small">{c().description}</p>
      </Show>
      <div class="pb-connector-fields">
        <div class="form-field">
          <label for={idOf('endpoint')}>Endpoint</label>
          <input
            id={idOf('endpoint')}
            type="url"
            placeholder="https://…"
            value={endpoint()}
            onInput={(e) => setEndpoint(e.currentTarget.value)}
            data-testid="connector-endpoint"
          />
        </div>
        <For each={c().secret_fields}>
          {(field) => (
            <div class="form-field">
              <label for={idOf(field)}>
                {field}{' '}
                <Show when={c().secrets_set.includes(field)} fallback={<span class="muted small">(not set)</span>}>
                  <span class="pb-set" data-testid="secret-set">
                    ✓ set
                  </span>
                </Show>
              </label>
              <input
                id={idOf(field)}
                type="password"
                autocomplete="new-password"
                placeholder={c().secrets_set.includes(field) ? 'leave empty to keep the stored value' : ''}
                value={secrets()[field] ?? ''}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  setSecrets((s) => ({ ...s, [field]: value }));
                }}
                data-testid="connector-secret"
              />
            </div>
          )}
        </For>
      </div>
      <div class="form-field">
        <label for={idOf('settings')}>Settings (JSON, not secret)</label>
        <textarea
          id={idOf('settings')}
          value={settings()}
          onInput={(e) => setSettings(e.currentTarget.value)}
          spellcheck={false}
          data-testid="connector-settings"
        />
      </div>
      <AlertMessage message={error()} />
      <div class="pb-actions">
        <button type="submit" class="btn primary" disabled={busy()} data-testid="connector-save">
          Save
        </button>
      </div>
    </form>
  );
}
