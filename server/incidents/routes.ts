/**
 * The incidents read API (mounted under /api/v1): the list with filters, sort, pagination and
 * counts per status; one incident with its tasks; its timeline. Reads the projection rows.
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
import type { Sql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import { getIncident, getTimeline, listIncidents } from './incident-queries.ts';

export function createIncidentRoutes(deps: { sql: Sql }): Hono {
  const { sql } = deps;
  const app = new Hono();

  app.get('/incidents', zValidator('query', listIncidentsQuery, rejectInvalid), async (c) => {
    const body: ListIncidentsResponse = await listIncidents(sql, c.req.valid('query'));
    return c.json(body);
  });

  app.get('/incidents/:id', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
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
      const items = await getTimeline(sql, id, c.req.valid('query').include_deleted);
      if (!items) throw new DomainError('not_found', `no incident ${id}`);
      return c.json({ items });
    },
  );

  return app;
}
