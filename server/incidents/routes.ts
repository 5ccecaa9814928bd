/**
 * The incidents read API (mounted under /api/v1): the list with filters, sort, pagination and
 * counts per status; one incident with its tasks; its timeline. Reads the projection rows.
 * The list holds only what the principal may read (a guest: its invitations); single incidents
 * check permission before existence (403 whether or not the incident exists).
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import {
  incidentIdParam,
  listIncidentsQuery,
  timelineQuery,
  type ListIncidentsResponse,
} from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import { can } from '../../shared/permissions.ts';
import type { Sql } from '../db/connect.ts';
import { principalOf, requireAction, type AuthEnv } from '../auth/middleware.ts';
import { rejectInvalid } from '../http/validation.ts';
import { getIncident, getTimeline, listIncidents } from './incident-queries.ts';

export function createIncidentRoutes(deps: { sql: Sql }): Hono<AuthEnv> {
  const { sql } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/incidents', zValidator('query', listIncidentsQuery, rejectInvalid), async (c) => {
    const who = principalOf(c);
    let only: string[] | undefined;
    if (!can(who, 'incident:read')) {
      only = Object.keys(who.grants).filter((id) => can(who, 'incident:read', id));
      if (who.role !== 'guest') requireAction(c, 'incident:read');
    }
    const body: ListIncidentsResponse = await listIncidents(sql, c.req.valid('query'), only);
    return c.json(body);
  });

  app.get('/incidents/:id', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    const incident = await getIncident(sql, id);
    if (!incident) throw new DomainError('not_found', `no incident ${id}`);
    return c.json(incident);
  });

  app.get(
    '/incidents/:id/timeline',
    zValidator('param', incidentIdParam, rejectInvalid),
    zValidator('query', timelineQuery, rejectInvalid),
    async (c) => {
      const { id } = c.req.valid('param');
      requireAction(c, 'incident:read', id);
      const items = await getTimeline(sql, id, c.req.valid('query').include_deleted);
      if (!items) throw new DomainError('not_found', `no incident ${id}`);
      return c.json({ items });
    },
  );

  return app;
}
