/**
 * The incidents read API (mounted under /api/v1): the list with filters, sort, pagination and
 * counts per status; the priority queue; one incident with its tasks; its timeline; metrics.
 * Reads the projection rows; SLA clocks are computed at read time with the server's policy.
 * The list holds only what the principal may read (a guest: its invitations); single incidents
 * check permission before existence (403 whether or not the incident exists).
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { incidentIdParam, listIncidentsQuery, timelineQuery } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import { metricsQuery, priorityQueueQuery } from '../../shared/incidents-api.ts';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../shared/sla.ts';
import { can } from '../../shared/permissions.ts';
import type { Sql } from '../db/connect.ts';
import { principalOf, requireAction, type AuthEnv } from '../auth/middleware.ts';
import { rejectInvalid } from '../http/validation.ts';
import type { Context } from 'hono';
import { getIncidentJson, getTimeline, listIncidents, priorityQueue } from './incident-queries.ts';
import { incidentMetrics } from './metrics.ts';
import type { ListCache } from './list-cache.ts';

/** The incidents a guest may read (undefined = all, for roles with incident:read). */
function readableIds(c: Context<AuthEnv>): string[] | undefined {
  const who = principalOf(c);
  if (can(who, 'incident:read')) return undefined;
  if (who.role !== 'guest') requireAction(c, 'incident:read');
  return Object.keys(who.grants).filter((id) => can(who, 'incident:read', id));
}

export function createIncidentRoutes(deps: {
  sql: Sql;
  policy?: SlaPolicy;
  listCache?: ListCache;
  /**
   * An incident the server knows as a document but has not projected yet (an id it just
   * returned, e.g. from POST /alerts): project it now; true when there is a row to read.
   */
  projectIfPending?: (id: string) => Promise<boolean>;
}): Hono<AuthEnv> {
  const { sql } = deps;
  /** Read, and if there is no row yet for a document the server knows, project it and read again. */
  async function readOrProject<T>(id: string, read: () => Promise<T | null>): Promise<T | null> {
    const first = await read();
    if (first !== null || !deps.projectIfPending) return first;
    return (await deps.projectIfPending(id)) ? read() : null;
  }
  const policy = deps.policy ?? DEFAULT_SLA_POLICY;
  const app = new Hono<AuthEnv>();

  app.get('/incidents', zValidator('query', listIncidentsQuery, rejectInvalid), async (c) => {
    // Rendered as text (listIncidentsResponse's shape; incidents.pg.test.ts parses it with that schema).
    const q = c.req.valid('query');
    const only = readableIds(c);
    const load = () => listIncidents(sql, policy, q, only);
    // Keyed by the validated query and the principal's scope (a guest sees only its incidents).
    const body = deps.listCache ? await deps.listCache.get(JSON.stringify([q, only ?? null]), load) : await load();
    return c.body(body, 200, { 'content-type': 'application/json; charset=UTF-8' });
  });

  app.get('/incidents/priority-queue', zValidator('query', priorityQueueQuery, rejectInvalid), async (c) => {
    const items = await priorityQueue(sql, policy, c.req.valid('query').limit, readableIds(c));
    return c.json({ items });
  });

  app.get('/metrics', zValidator('query', metricsQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const q = c.req.valid('query');
    if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) throw new DomainError('bad_request', 'query parameter "from": must be before "to"');
    return c.json(await incidentMetrics(sql, q));
  });

  app.get('/incidents/:id', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    const incident = await readOrProject(id, () => getIncidentJson(sql, policy, id));
    if (incident === null) throw new DomainError('not_found', `no incident ${id}`);
    return c.body(incident, 200, { 'content-type': 'application/json; charset=UTF-8' });
  });

  app.get('/incidents/:id/timeline', zValidator('param', incidentIdParam, rejectInvalid), zValidator('query', timelineQuery, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    const items = await readOrProject(id, () => getTimeline(sql, id, c.req.valid('query').include_deleted));
    if (!items) throw new DomainError('not_found', `no incident ${id}`);
    return c.json({ items });
  });

  return app;
}
