/** The top bar: home link, "New incident", the connection state and the local user. */
import { Link } from '@tanstack/solid-router';
import { Show, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { initials } from '../local/user-identity.ts';
import { ConnectionBadge } from './connection-badge.tsx';

export function AppHeader(props: { onChangeName: () => void }): JSX.Element {
  const app = useApp();
  return (
    <header class="app-header">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Link to="/" class="brand" aria-label="Sentpilot: all incidents">
        <img src="/favicon.svg" alt="" width="32" height="32" />
        <span class="brand-name">Sentpilot</span>
      </Link>
      <Link to="/incidents/new" class="btn accent header-new" data-testid="new-incident">
        <span aria-hidden="true" class="plus">+</span> New incident
      </Link>
      <div class="header-spacer" />
      <ConnectionBadge />
      <button type="button" class="user-chip" onClick={() => props.onChangeName()} title="Change your name">
        <Show when={app.user()} fallback={<span class="user-name muted">No name set</span>}>
          {(u) => (
            <>
              <span class="avatar" style={{ 'background-color': u().color }} aria-hidden="true">
                {initials(u().name)}
              </span>
              <span class="user-name" data-testid="user-name">
                {u().name}
              </span>
            </>
          )}
        </Show>
      </button>
    </header>
  );
}
