/**
 * The top bar: home link, "New incident" (for those who may write), triage and alerts, the admin and audit links
 * (for those allowed), the connection state, and the user menu with logout (and, while single
 * sign-on is configured but not linked to the account, linking it).
 *
 * Below 1000 px (tablets, phones) the two navigations fold behind a "Menu" button, so the header
 * is one row; the header's height is published as `--app-header-h` for the sticky incident index.
 */
import { Link, useNavigate } from '@tanstack/solid-router';
import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { ApprovalsBadge } from './playbooks/approvals-badge.tsx';
import { ROLE_LABELS } from '../../shared/permissions.ts';
import { useApp } from '../app-context.tsx';
import { initials } from '../local/user-identity.ts';
import { ConnectionBadge } from './connection-badge.tsx';
import { SsoLinkForm } from './auth/sso-link-form.tsx';
import { TapTitles } from './tap-titles.tsx';

export function AppHeader(): JSX.Element {
  const app = useApp();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = createSignal(false);
  const [navOpen, setNavOpen] = createSignal(false);
  let header: HTMLElement | undefined;
  onMount(() => {
    if (!header || typeof ResizeObserver === 'undefined') return;
    const el = header;
    const publish = (): void => document.documentElement.style.setProperty('--app-header-h', `${Math.ceil(el.getBoundingClientRect().height)}px`);
    const ro = new ResizeObserver(publish);
    ro.observe(el);
    publish();
    onCleanup(() => ro.disconnect());
  });
  const logout = async (): Promise<void> => {
    setMenuOpen(false);
    await app.identity.logout();
    void navigate({ to: '/login', search: { next: '/' } });
  };
  return (
    <header class="app-header" ref={header}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Link to="/" class="brand" aria-label="Sentpilot: all incidents">
        <img src="/favicon.svg" alt="" width="32" height="32" />
        <span class="brand-name">Sentpilot</span>
      </Link>
      <Show when={app.can('incident:write')}>
        <Link to="/incidents/new" class="btn accent header-new" data-testid="new-incident" aria-label="New incident">
          <span aria-hidden="true" class="plus">
            +
          </span>
          <span class="header-new-label">
            {' '}
            New<span class="header-new-word"> incident</span>
          </span>
        </Link>
      </Show>
      <button
        type="button"
        class="nav-toggle"
        aria-expanded={navOpen()}
        aria-controls="app-nav"
        aria-label="Menu"
        data-testid="nav-toggle"
        onClick={() => setNavOpen((v) => !v)}
      >
        <span aria-hidden="true" class="nav-toggle-icon">
          ☰
        </span>
        <span class="nav-toggle-word">Menu</span>
      </button>
      {/* A followed link closes the folded menu. */}
      <div
        id="app-nav"
        class="header-navs"
        data-open={navOpen() ? '' : undefined}
        onClick={(e) => {
          if (e.target instanceof Element && e.target.closest('a')) setNavOpen(false);
        }}
      >
        <Show when={app.can('incident:read') && app.me()?.user.role !== 'guest'}>
          <nav class="header-nav" aria-label="Triage">
            <Link to="/triage" class="header-link" data-testid="nav-triage">
              Triage
            </Link>
            <Link to="/alerts" class="header-link" data-testid="nav-alerts" search={{ source: '', status: '', incident: '', before: '' }}>
              Alerts
            </Link>
            <Link to="/intel" class="header-link" data-testid="nav-intel">
              Threat intel
            </Link>
            <Link to="/metrics" class="header-link" data-testid="nav-metrics">
              Metrics
            </Link>
            <Show when={app.can('playbook:approve')}>
              <Link to="/approvals" class="header-link" data-testid="nav-approvals">
                Approvals <ApprovalsBadge />
              </Link>
            </Show>
          </nav>
        </Show>
        <nav class="header-nav" aria-label="Administration">
          <Show when={app.can('user:manage')}>
            <Link to="/admin/users" class="header-link" data-testid="nav-users">
              Users
            </Link>
          </Show>
          <Show when={app.can('token:manage')}>
            <Link to="/admin/tokens" class="header-link" data-testid="nav-tokens">
              API tokens
            </Link>
          </Show>
          <Show when={app.can('template:manage')}>
            <Link to="/admin/fields" class="header-link" data-testid="nav-fields">
              Fields
            </Link>
          </Show>
          <Show when={app.can('feed:manage')}>
            <Link to="/admin/feeds" class="header-link" data-testid="nav-feeds">
              Feeds
            </Link>
          </Show>
          <Show when={app.can('settings:manage')}>
            <Link to="/admin/playbooks" class="header-link" data-testid="nav-playbooks">
              Playbooks
            </Link>
            <Link to="/admin/evidence" class="header-link" data-testid="nav-evidence">
              Evidence
            </Link>
          </Show>
          <Show when={app.can('audit:read')}>
            <Link to="/audit" class="header-link" data-testid="nav-audit">
              Audit log
            </Link>
          </Show>
        </nav>
      </div>
      <div class="header-spacer" />
      <ConnectionBadge />
      <div class="user-menu">
        <button type="button" class="user-chip" aria-haspopup="true" aria-expanded={menuOpen()} onClick={() => setMenuOpen((v) => !v)} data-testid="user-menu">
          <Show when={app.user()}>
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
        <Show when={menuOpen()}>
          <div class="user-menu-panel" role="menu">
            <Show when={app.me()}>
              {(m) => (
                <p class="muted small">
                  {m().user.email} · {ROLE_LABELS[m().user.role]}
                </p>
              )}
            </Show>
            <Show when={app.me()?.sso && !app.me()?.sso_linked}>
              <SsoLinkForm />
            </Show>
            <button type="button" class="btn" role="menuitem" data-testid="logout" onClick={() => void logout()}>
              Log out
            </button>
          </div>
        </Show>
      </div>
      <TapTitles />
    </header>
  );
}
