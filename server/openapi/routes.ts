/**
 * Serves the OpenAPI document (GET /api/v1/openapi.json) and the reference page (GET /api/docs),
 * both built once from the registry. Both need an authenticated identity (any role).
 */
import { Hono } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import { buildOpenApi, type RouteSpec } from './registry.ts';
import { renderReference } from './reference-html.ts';
import { ALERT_ROUTES } from './alerts-spec.ts';
import { API_ROUTES } from './routes-spec.ts';

export const API_INFO = {
  title: 'Sentpilot',
  version: '1',
  description: 'Local-first incident response: incidents, alerts, identity and audit. JSON is snake_case; errors are { "error": { code, message, details } }.',
} as const;

/** The whole /api/v1 document (core routes plus any other helper's `extra` routes). */
export function apiDocument(extra: readonly RouteSpec[] = []): Record<string, unknown> {
  return buildOpenApi([...API_ROUTES, ...ALERT_ROUTES, ...extra], { ...API_INFO });
}

/** `/openapi.json` (mount under /api/v1, after the auth middleware). */
export function createOpenApiRoutes(doc: Record<string, unknown>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/openapi.json', (c) => c.json(doc));
  return app;
}

/** `/docs` (mount under /api, behind the auth middleware). */
export function createReferenceRoutes(doc: Record<string, unknown>): Hono<AuthEnv> {
  const html = renderReference(doc);
  const app = new Hono<AuthEnv>();
  app.get('/docs', (c) => {
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
    return c.html(html);
  });
  return app;
}
