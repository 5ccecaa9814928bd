/**
 * Email + password login (POST /api/v1/auth/login), used by the /login page and inline in the
 * "session expired" dialog. Errors are spelled out: wrong credentials (the server's one generic
 * message), too many attempts (with the wait), the server unreachable. Offers single sign-on
 * when the server has it configured.
 */
import { createResource, createSignal, Show, type JSX } from 'solid-js';
import type { MeResponse } from '../../../shared/auth-api.ts';
import type { ApiFailure } from '../../local/http-json.ts';
import { useApp } from '../../app-context.tsx';

export function loginErrorMessage(failure: ApiFailure): string {
  if (failure.kind === 'network') return 'The server cannot be reached. Check the connection and try again.';
  if (failure.kind === 'invalid') return 'The server gave an unexpected answer. Try again.';
  if (failure.status === 429) {
    const wait = failure.retryAfter
      ? ` Try again in ${failure.retryAfter < 90 ? `${failure.retryAfter} s` : `${Math.ceil(failure.retryAfter / 60)} min`}.`
      : ' Try again later.';
    return `Too many login attempts.${wait}`;
  }
  if (failure.status === 401) return failure.message || 'Wrong email or password.';
  return failure.message;
}

export function LoginForm(props: { onDone: (me: MeResponse) => void; email?: string; idPrefix?: string }): JSX.Element {
  const app = useApp();
  const id = (s: string): string => `${props.idPrefix ?? 'login'}-${s}`;
  const [email, setEmail] = createSignal(props.email ?? '');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [config] = createResource(async () => {
    const res = await app.identity.config();
    return res.ok ? res.value : null;
  });
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (busy()) return;
    if (!email().trim() || !password()) {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    setError(null);
    const res = await app.identity.login(email().trim(), password());
    setBusy(false);
    if (!res.ok) {
      setError(loginErrorMessage(res.error));
      return;
    }
    setPassword('');
    props.onDone(res.value);
  };
  return (
    <form class="login-form" onSubmit={(e) => void submit(e)} data-testid="login-form" novalidate>
      <div class="form-field">
        <label for={id('email')}>Email</label>
        <input
          id={id('email')}
          data-testid="login-email"
          type="email"
          autocomplete="username"
          required
          value={email()}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </div>
      <div class="form-field">
        <label for={id('password')}>Password</label>
        <input
          id={id('password')}
          data-testid="login-password"
          type="password"
          autocomplete="current-password"
          required
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      <Show when={error()}>
        {(msg) => (
          <p class="field-error" role="alert" data-testid="login-error">
            {msg()}
          </p>
        )}
      </Show>
      <div class="row-actions">
        <button type="submit" class="btn primary" data-testid="login-submit" disabled={busy()}>
          {busy() ? 'Logging in…' : 'Log in'}
        </button>
        <Show when={config()?.sso}>
          <a class="btn" href="/api/v1/auth/oidc/start" data-testid="login-sso">
            {config()?.sso_label ? `Log in with ${config()?.sso_label}` : 'Single sign-on'}
          </a>
        </Show>
      </div>
    </form>
  );
}
