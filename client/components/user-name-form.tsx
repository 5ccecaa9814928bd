/**
 * Asks the local user's name (there is no login yet): shown once on first use, and again when
 * the user picks "Change name" in the header. The name is the author of edits and is shown to
 * the others on an incident.
 */
import { createSignal, Show, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';

export function UserNameForm(props: { onDone?: () => void; first: boolean }): JSX.Element {
  const app = useApp();
  const [name, setName] = createSignal(app.user()?.name ?? '');
  const [error, setError] = createSignal<string | null>(null);
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const saved = app.saveUserName(name());
    if (!saved.ok) {
      setError(saved.error);
      return;
    }
    setError(null);
    props.onDone?.();
  };
  return (
    <form class="user-form" onSubmit={submit} aria-labelledby="user-form-title">
      <div class="user-form-text">
        <strong id="user-form-title">{props.first ? 'Who is working on this device?' : 'Change your name'}</strong>
        <span class="muted">Your name is recorded as the author of your edits and shown to the others on an incident.</span>
      </div>
      <div class="user-form-row">
        <label class="visually-hidden" for="user-name-input">
          Your name
        </label>
        <input
          id="user-name-input"
          data-testid="user-name-input"
          type="text"
          autocomplete="name"
          placeholder="e.g. Dana Reyes"
          maxLength={60}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          aria-invalid={error() ? 'true' : undefined}
          aria-describedby={error() ? 'user-name-error' : undefined}
          autofocus={props.first}
        />
        <button type="submit" class="btn primary" data-testid="user-name-save">
          Save name
        </button>
        <Show when={!props.first}>
          <button type="button" class="btn" onClick={() => props.onDone?.()}>
            Cancel
          </button>
        </Show>
      </div>
      <Show when={error()}>
        {(msg) => (
          <p id="user-name-error" class="field-error" role="alert">
            {msg()}
          </p>
        )}
      </Show>
    </form>
  );
}
