/**
 * "/login": the login form; after a login the user returns to where they were (`?next=`, a path
 * on this site only). Without a network and without a known user, it says so. A refused single
 * sign-on comes back here with the server's reason (`?sso_error=`), shown as text; a signed-in
 * user (whose link was refused) then stays to read it instead of being sent on at once.
 */
import { useNavigate, useSearch } from '@tanstack/solid-router';
import { createEffect, Show, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { AlertMessage } from '../components/alert-message.tsx';
import { LoginForm } from '../components/auth/login-form.tsx';

/** Only same-site paths: never `//host` or `https://…` (an open redirect). */
function safeNext(raw: unknown): string {
  return typeof raw === 'string' && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\') && !raw.startsWith('/login') ? raw : '/';
}

export function LoginPage(): JSX.Element {
  const app = useApp();
  const search = useSearch({ from: '/login' });
  const navigate = useNavigate();
  const done = (): void => {
    void navigate({ to: safeNext(search().next), replace: true });
  };
  const ssoError = (): string | undefined => search().sso_error;
  // Already signed in (a session cookie from single sign-on, another tab): go on at once.
  createEffect(() => {
    if (app.auth().status === 'signed-in' && !ssoError()) done();
  });
  return (
    <section class="auth-page card" aria-labelledby="login-title">
      <h1 id="login-title">Log in to Sentpilot</h1>
      <Show when={app.auth().status === 'unverified' && !app.me()}>
        <p class="warning" role="status">
          The server cannot be reached. Logging in needs the network the first time on a device; afterwards Sentpilot works offline.
        </p>
      </Show>
      <AlertMessage message={ssoError() ? `Single sign-on refused: ${ssoError()}.` : null} class="warning danger" />
      <Show
        when={app.auth().status === 'signed-in' && ssoError()}
        fallback={
          <>
            <Show when={app.me()}>
              {(m) => (
                <p class="muted">
                  Last signed in here as {m().user.display_name} ({m().user.email}).
                </p>
              )}
            </Show>
            <LoginForm onDone={done} email={app.me()?.user.email ?? ''} />
          </>
        }
      >
        <button type="button" class="btn primary" onClick={done}>
          Back to Sentpilot
        </button>
      </Show>
    </section>
  );
}
