/**
 * The frame of every page: header, the page, the update prompt. Nobody known → the login page
 * (returning here afterwards); a session that ended while working → the "log in again" dialog
 * over the current screen, which stays as it is.
 */
import { Outlet, useLocation, useNavigate } from '@tanstack/solid-router';
import { createEffect, Match, Show, Switch, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { AppHeader } from '../components/app-header.tsx';
import { SessionExpired } from '../components/auth/session-expired.tsx';
import { UpdatePrompt } from '../components/update-prompt.tsx';

const PUBLIC_PATHS = ['/login', '/accept-invite'];

export function RootLayout(): JSX.Element {
  const app = useApp();
  const location = useLocation();
  const navigate = useNavigate();
  const isPublic = (): boolean => PUBLIC_PATHS.includes(location().pathname);
  /** Must log in before seeing anything: nobody known, or the session was refused at start. */
  const needsLogin = (): boolean => {
    const a = app.auth();
    if (a.status === 'checking') return false;
    return a.me === null || (a.status === 'signed-out' && !a.expired);
  };
  createEffect(() => {
    if (!needsLogin() || isPublic()) return;
    const l = location();
    void navigate({ to: '/login', search: { next: `${l.pathname}${l.searchStr ?? ''}` }, replace: true });
  });
  return (
    <div class="app">
      <Switch>
        <Match when={isPublic()}>
          <main id="main" class="main" tabindex="-1">
            <Outlet />
          </main>
        </Match>
        <Match when={app.auth().status === 'checking' && !app.me()}>
          <p class="empty" role="status">
            Starting…
          </p>
        </Match>
        <Match when={app.me() !== null && !needsLogin()}>
          <AppHeader />
          <Show when={app.auth().status === 'signed-out' && app.auth().expired}>
            <SessionExpired />
          </Show>
          <main id="main" class="main" tabindex="-1">
            <Outlet />
          </main>
        </Match>
      </Switch>
      <UpdatePrompt />
    </div>
  );
}

export function NotFoundPage(): JSX.Element {
  return (
    <section class="empty-state">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <a class="btn" href="/">
        Back to the incident list
      </a>
    </section>
  );
}
