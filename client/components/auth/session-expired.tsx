/**
 * Shown over the current screen when the session ended while working: nothing on screen is
 * dropped and every edit stays on the device; logging in here (inline) resumes the sync at once.
 * Offline, it only says so: logging in waits for the network.
 */
import { Show, type JSX } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import { createObservableSignal } from '../../primitives/create-observable.ts';
import { LoginForm } from './login-form.tsx';

export function SessionExpired(): JSX.Element {
  const app = useApp();
  const conn = createObservableSignal(app.engine.connection);
  return (
    <div class="session-expired" role="dialog" aria-modal="false" aria-labelledby="session-expired-title" data-testid="session-expired">
      <h2 id="session-expired-title">Your session has expired — log in again</h2>
      <p>
        Everything you changed is kept on this device
        <Show when={conn().pending > 0}>
          {' '}
          (<span data-testid="session-expired-pending">{conn().pending}</span> change{conn().pending === 1 ? '' : 's'} not yet on the server)
        </Show>{' '}
        and is sent as soon as you are logged in.
      </p>
      <Show when={conn().status !== 'offline'} fallback={<p class="muted">You are offline: keep working, and log in when the network is back.</p>}>
        <LoginForm idPrefix="relogin" email={app.me()?.user.email ?? ''} onDone={() => undefined} />
      </Show>
    </div>
  );
}
