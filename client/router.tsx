/**
 * The route tree (code-based): "/" the list, "/incidents/new" the form, "/incidents/$id" the
 * incident page (loaded lazily: it carries the CodeMirror editor). The router is created per app
 * instance by main.tsx.
 */
import { createRootRoute, createRoute, createRouter, lazyRouteComponent, type SearchSchemaInput } from '@tanstack/solid-router';
import { IncidentListPage } from './routes/incident-list-page.tsx';
import { parseListSearch, type ListSearchInput } from './routes/list-search.ts';
import { NewIncidentPage } from './routes/new-incident-page.tsx';
import { NotFoundPage, RootLayout } from './routes/root-layout.tsx';

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
    component: lazyRouteComponent(() => import('./routes/incident-page.tsx'), 'IncidentPage'),
  });
  return createRouter({
    routeTree: rootRoute.addChildren([listRoute, newRoute, incidentRoute]),
    defaultPreload: 'intent',
    scrollRestoration: true,
  });
}

declare module '@tanstack/solid-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
