/**
 * The route tree (code-based): "/" the list, "/incidents/new" the form, "/incidents/$id" the
 * incident page (loaded lazily: it carries the CodeMirror editor), "/login",
 * "/accept-invite", the admin pages "/admin/users", "/admin/tokens", "/admin/evidence", "/audit", and (lazy) "/alerts", "/alerts/$id" and "/triage". The router is created per app
 * instance by main.tsx.
 */
import { createRootRoute, createRoute, createRouter, lazyRouteComponent, type SearchSchemaInput } from '@tanstack/solid-router';
import { AcceptInvitePage } from './routes/accept-invite-page.tsx';
import { LoginPage } from './routes/login-page.tsx';
import { IncidentListPage } from './routes/incident-list-page.tsx';
import { parseListSearch, type ListSearchInput } from './routes/list-search.ts';
import { NewIncidentPage } from './routes/new-incident-page.tsx';
import { parseAlertSearch, type AlertSearch } from './routes/alert-search.ts';
import { NotFoundPage, RootLayout } from './routes/root-layout.tsx';
import { parseTimelineSearch, type TimelineSearch } from './components/incident/timeline-filter.ts';

export function createAppRouter() {
  const rootRoute = createRootRoute({ component: RootLayout, notFoundComponent: NotFoundPage });
  const listRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/',
    validateSearch: (raw: ListSearchInput & SearchSchemaInput) => parseListSearch(raw),
    component: IncidentListPage,
  });
  const newRoute = createRoute({ getParentRoute: () => rootRoute, path: '/incidents/new', component: NewIncidentPage });
  const incidentRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/incidents/$id',
    // The timeline's filter bar (kind, author, words, hide automation) lives in the URL.
    validateSearch: (raw: TimelineSearch & SearchSchemaInput) => parseTimelineSearch(raw as unknown as Record<string, unknown>),
    component: lazyRouteComponent(() => import('./routes/incident-page.tsx'), 'IncidentPage'),
  });
  const loginRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/login',
    // sso_error: why the server refused a single sign-on (shown as text).
    validateSearch: (raw: { next?: string; sso_error?: string } & SearchSchemaInput): { next: string; sso_error?: string } => ({
      next: typeof raw.next === 'string' ? raw.next.slice(0, 500) : '/',
      ...(typeof raw.sso_error === 'string' && raw.sso_error ? { sso_error: raw.sso_error.slice(0, 500) } : {}),
    }),
    component: LoginPage,
  });
  const acceptInviteRoute = createRoute({ getParentRoute: () => rootRoute, path: '/accept-invite', component: AcceptInvitePage });
  // Admin pages are lazy: most users never open them. The server enforces the rights; the
  // pages show its refusal to those who lack them.
  const usersRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/admin/users',
    component: lazyRouteComponent(() => import('./routes/admin/users-page.tsx'), 'UsersPage'),
  });
  const tokensRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/admin/tokens',
    component: lazyRouteComponent(() => import('./routes/admin/tokens-page.tsx'), 'TokensPage'),
  });
  const auditRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/audit',
    component: lazyRouteComponent(() => import('./routes/admin/audit-page.tsx'), 'AuditPage'),
  });
  const alertsRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/alerts',
    validateSearch: (raw: Partial<AlertSearch> & SearchSchemaInput) => parseAlertSearch(raw),
    component: lazyRouteComponent(() => import('./routes/alerts-page.tsx'), 'AlertsPage'),
  });
  const alertRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/alerts/$id',
    component: lazyRouteComponent(() => import('./routes/alert-page.tsx'), 'AlertPage'),
  });
  const approvalsRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/approvals',
    component: lazyRouteComponent(() => import('./routes/approvals-page.tsx'), 'ApprovalsPage'),
  });
  const playbooksAdminRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/admin/playbooks',
    component: lazyRouteComponent(() => import('./routes/admin/playbooks-page.tsx'), 'PlaybooksAdminPage'),
  });
  const intelRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/intel',
    component: lazyRouteComponent(() => import('./routes/intel-page.tsx'), 'IntelPage'),
  });
  const feedsAdminRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/admin/feeds',
    component: lazyRouteComponent(() => import('./routes/admin/feeds-page.tsx'), 'FeedsAdminPage'),
  });
  const evidenceAdminRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/admin/evidence',
    component: lazyRouteComponent(() => import('./routes/admin/evidence-page.tsx'), 'EvidenceRetentionPage'),
  });
  const fieldsRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/admin/fields',
    component: lazyRouteComponent(() => import('./routes/admin/fields-page.tsx'), 'FieldsPage'),
  });
  const metricsRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/metrics',
    component: lazyRouteComponent(() => import('./routes/metrics-page.tsx'), 'MetricsPage'),
  });
  const triageRoute = createRoute({
    getParentRoute: () => rootRoute,
    path: '/triage',
    component: lazyRouteComponent(() => import('./routes/triage-page.tsx'), 'TriagePage'),
  });
  return createRouter({
    routeTree: rootRoute.addChildren([
      listRoute,
      newRoute,
      incidentRoute,
      loginRoute,
      acceptInviteRoute,
      usersRoute,
      tokensRoute,
      auditRoute,
      alertsRoute,
      alertRoute,
      triageRoute,
      metricsRoute,
      fieldsRoute,
      approvalsRoute,
      playbooksAdminRoute,
      intelRoute,
      feedsAdminRoute,
      evidenceAdminRoute,
    ]),
    defaultPreload: 'intent',
    scrollRestoration: true,
  });
}

declare module '@tanstack/solid-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
