/**
 * Event triggers: `incident.created`, `incident.status_changed` and `alert.correlated` start the
 * playbooks whose `triggers.on` lists the event and which match the incident. A watcher reads
 * what the projection and alert ingest already wrote (incidents rows, alerts linked to an
 * incident) and compares it with what it has acted on (tables playbook_seen_*): the upsert that
 * records a change returns a row to exactly one process, so each change fires once however many
 * servers run. Incidents and alerts older than RECENT when first seen (say, after an upgrade)
 * are recorded without firing.
 */
import { newId } from '../../../shared/ids.ts';
import type { Sql } from '../../db/connect.ts';
import type { Logger } from '../../logger.ts';
import type { PlaybookEngine } from './engine.ts';

const RECENT = '10 minutes';
const BATCH = 200;

export interface EventWatcher {
  /** Look for changes now (tests; the timer calls it too). */
  poll(): Promise<number>;
  /** Stop the timer and wait for a poll in progress. */
  stop(): Promise<void>;
}

export function startEventWatcher(deps: { sql: Sql; engine: Pick<PlaybookEngine, 'onEvent'>; logger: Logger; intervalMs?: number }): EventWatcher {
  const { sql, engine, logger } = deps;
  let running: Promise<number> | null = null;

  async function incidents(): Promise<number> {
    const changed = await sql<{ id: string; status: string }[]>`
      SELECT i.id, i.status FROM incidents i LEFT JOIN playbook_seen_incidents s ON s.incident_id = i.id
      WHERE s.incident_id IS NULL OR s.status <> i.status LIMIT ${BATCH}`;
    let fired = 0;
    for (const c of changed) {
      const [row] = await sql<{ old_status: string | null; recent: boolean }[]>`
        WITH old AS (SELECT status FROM playbook_seen_incidents WHERE incident_id = ${c.id})
        INSERT INTO playbook_seen_incidents (incident_id, status) VALUES (${c.id}, ${c.status})
        ON CONFLICT (incident_id) DO UPDATE SET status = EXCLUDED.status WHERE playbook_seen_incidents.status <> EXCLUDED.status
        RETURNING (SELECT status FROM old) AS old_status,
          (SELECT created_at > now() - ${RECENT}::interval FROM incidents WHERE id = ${c.id}) AS recent`;
      if (!row) continue;
      if (row.old_status === null) {
        if (row.recent) fired += (await engine.onEvent('incident.created', c.id, null, 'created')).length;
      } else fired += (await engine.onEvent('incident.status_changed', c.id, null, `${row.old_status}->${c.status}:${newId()}`)).length;
    }
    return fired;
  }

  async function alerts(): Promise<number> {
    const linked = await sql<{ id: string; incident_id: string; normalized: Record<string, unknown> }[]>`
      SELECT a.id, a.incident_id, a.normalized FROM alerts a LEFT JOIN playbook_seen_alerts s ON s.alert_id = a.id
      WHERE a.incident_id IS NOT NULL AND s.alert_id IS NULL AND a.received_at > now() - ${RECENT}::interval LIMIT ${BATCH}`;
    let fired = 0;
    for (const a of linked) {
      const fresh = await sql`INSERT INTO playbook_seen_alerts (alert_id, incident_id) VALUES (${a.id}, ${a.incident_id}) ON CONFLICT DO NOTHING RETURNING 1`;
      if (fresh.length === 0) continue;
      fired += (await engine.onEvent('alert.correlated', a.incident_id, { id: a.id, ...a.normalized }, a.id)).length;
    }
    return fired;
  }

  const poll = (): Promise<number> =>
    (running ??= (async () => {
      try {
        return (await incidents()) + (await alerts());
      } finally {
        running = null;
      }
    })());

  const timer = setInterval(() => {
    poll().catch((e: unknown) => logger.error({ err: e }, 'playbook event watcher failed'));
  }, deps.intervalMs ?? 1_000);
  timer.unref();
  return {
    poll,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
