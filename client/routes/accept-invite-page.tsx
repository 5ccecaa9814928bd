/**
 * "/accept-invite#token=…": an invited user sets a password (POST /api/v1/auth/accept-invite).
 * The token travels in the fragment so it never reaches a server log or a Referer header.
 */
import { useNavigate } from '@tanstack/solid-router';
import { createSignal, Show, type JSX } from 'solid-js';
import { passwordSchema } from '../../shared/auth-api.ts';
import { useApp } from '../app-context.tsx';
import { loginErrorMessage } from '../components/auth/login-form.tsx';
import { AlertMessage } from '../components/alert-message.tsx';

function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && /^[\x21-\x7e]{16,200}$/.test(token) ? token : null;
}

export function AcceptInvitePage(): JSX.Element {
  const app = useApp();
  const navigate = useNavigate();
  const token = tokenFromHash(window.location.hash);
  const [password, setPassword] = createSignal('');
  const [repeat, setRepeat] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!token || busy()) return;
    const parsed = passwordSchema.safeParse(password());
    if (!parsed.success) {
      setError(`The password needs ${parsed.error.issues[0]?.message ?? 'to be longer'}.`);
      return;
    }
    if (password() !== repeat()) {
      setError('The two passwords differ.');
      return;
    }
    setBusy(true);
    const res = await app.identity.acceptInvite(token, password());
    setBusy(false);
    if (!res.ok) {
      setError(
        res.error.kind === 'http' && res.error.status !== 429
          ? `${res.error.message} Ask for a new invitation if it has expired.`
          : loginErrorMessage(res.error),
      );
      return;
    }
    history.replaceState(null, '', '/accept-invite');
    void navigate({ to: '/', replace: true });
  };
  return (
    <section class="auth-page card" aria-labelledby="invite-title">
      <h1 id="invite-title">Set your password</h1>
      <Show
        when={token}
        fallback={
          <p class="warning" role="alert">
            This invitation link is incomplete. Open the full link you were sent, or ask for a new invitation.
          </p>
        }
      >
        <form class="login-form" onSubmit={(e) => void submit(e)} novalidate>
          <p class="muted">You were invited to Sentpilot. Choose a password of at least 12 characters.</p>
          <div class="form-field">
            <label for="invite-password">New password</label>
            <input
              id="invite-password"
              data-testid="invite-password"
              type="password"
              autocomplete="new-password"
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          <div class="form-field">
            <label for="invite-repeat">Repeat the password</label>
            <input
              id="invite-repeat"
              data-testid="invite-repeat"
              type="password"
              autocomplete="new-password"
              value={repeat()}
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
          </div>
          <AlertMessage message={error()} />
          <button type="submit" class="btn primary" data-testid="invite-submit" disabled={busy()}>
            Set password and log in
          </button>
        </form>
      </Show>
    </section>
  );
}
