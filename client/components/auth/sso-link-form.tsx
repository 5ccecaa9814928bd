/**
 * "Link single sign-on" in the account menu: the signed-in user confirms with the password, then
 * the browser goes to the provider and comes back with the identity linked (the server never
 * links an existing account by email on its own). Shown while the account has none linked.
 */
import { createSignal, type JSX } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import { AlertMessage } from '../alert-message.tsx';
import { loginErrorMessage } from './login-form.tsx';

export function SsoLinkForm(): JSX.Element {
  const app = useApp();
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (busy()) return;
    if (!password()) {
      setError('Enter your password to link single sign-on.');
      return;
    }
    setBusy(true);
    setError(null);
    const res = await app.identity.linkSso(password());
    setBusy(false);
    setPassword('');
    if (!res.ok) {
      setError(res.error.kind === 'http' && res.error.status === 401 ? 'Wrong password.' : loginErrorMessage(res.error));
      return;
    }
    window.location.assign(res.value);
  };
  return (
    <form class="sso-link-form" onSubmit={(e) => void submit(e)} data-testid="sso-link-form" novalidate>
      <div class="form-field">
        <label for="sso-link-password">Password, to link single sign-on</label>
        <input
          id="sso-link-password"
          data-testid="sso-link-password"
          type="password"
          autocomplete="current-password"
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      <AlertMessage message={error()} />
      <button type="submit" class="btn" role="menuitem" data-testid="sso-link" disabled={busy()}>
        {busy() ? 'Linking…' : 'Link single sign-on'}
      </button>
    </form>
  );
}
