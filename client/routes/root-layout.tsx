/** The frame of every page: header, the one-time name prompt, the page, the update prompt. */
import { Outlet } from '@tanstack/solid-router';
import { createSignal, Show, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { AppHeader } from '../components/app-header.tsx';
import { UpdatePrompt } from '../components/update-prompt.tsx';
import { UserNameForm } from '../components/user-name-form.tsx';

export function RootLayout(): JSX.Element {
  const app = useApp();
  const [editingName, setEditingName] = createSignal(false);
  return (
    <div class="app">
      <AppHeader onChangeName={() => setEditingName((v) => !v)} />
      <Show when={!app.user() || editingName()}>
        <div class="banner" data-testid="user-name-prompt">
          <UserNameForm first={!app.user()} onDone={() => setEditingName(false)} />
        </div>
      </Show>
      <main id="main" class="main" tabindex="-1">
        <Outlet />
      </main>
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
