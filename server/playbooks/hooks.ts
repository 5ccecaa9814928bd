/**
 * POST /api/v1/hooks/{playbook id}: an outside system starts a run. No session: the request
 * proves itself with `X-Sentpilot-Signature: sha256=<hex HMAC-SHA256("<timestamp>.<raw body>")>`
 * under the playbook's webhook secret and `X-Sentpilot-Timestamp` within ±5 minutes; a
 * signature already seen is a replay (409). Mounted before the auth middleware; the body limit
 * (HOOK_MAX_BODY_BYTES) is enforced at the edge before anything here runs.
 *
 * Every delivery to a playbook that takes webhooks is accounted for, never with the secret or
 * the signature itself: accepted ones, and signed ones that cannot run (bad body, unknown
 * incident, playbook does not apply), one audit entry each; refusals anyone can provoke (bad or
 * stale timestamp, bad signature, replay, over the delivery limit) are counted and audited once
 * per playbook per minute (hook-refusals.ts), and an address refused too often in a minute is
 * answered 429 before its signature is checked.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { DomainError } from '../../shared/errors.ts';
import { HOOK_SIGNATURE_HEADER, HOOK_TIMESTAMP_HEADER, HOOK_WINDOW_SECONDS, hookBody } from '../../shared/playbooks-api.ts';
import { findUnsafeText } from '../../shared/safe-text.ts';
import type { SlaPolicy } from '../../shared/sla.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../audit/audit-types.ts';
import type { Sql } from '../db/connect.ts';
import { clientAddress } from '../http/forwarded.ts';
import { unsafeTextMessage } from '../http/validation.ts';
import { getIncident } from '../incidents/incident-queries.ts';
import { incidentMismatch } from './match.ts';
import type { Playbooks } from './engine/service.ts';
import { getRun } from './engine/queries.ts';
import type { RefusalReason } from './hook-refusals.ts';

/** The body limit of a delivery (the edge refuses larger ones before they are read). */
export const HOOK_MAX_BODY_BYTES = 256 * 1024;
const PLAYBOOK_ID = /^[a-z][a-z0-9_-]{0,63}$/;

/** The signature header value for a body (also what senders compute). */
export function signHook(secret: string, timestamp: number | string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

export function createHookRoutes(deps: { sql: Sql; audit: AuditLog; policy: SlaPolicy; playbooks: Playbooks; proxyHops?: number; now?: () => number }): Hono {
  const { sql, audit, playbooks } = deps;
  const refusals = playbooks.hookRefusals;
  const now = deps.now ?? Date.now;
  const app = new Hono();

  app.post('/hooks/:id', async (c) => {
    const id = c.req.param('id');
    // Signed deliveries that cannot run: one entry each (each used up a fresh signature and a
    // slot of the per-minute delivery limit, so there are at most so many).
    const refuse = async (code: 'not_found' | 'bad_request' | 'unprocessable', message: string): Promise<never> => {
      await audit.append([
        { actor: SYSTEM_ACTOR, action: 'playbook.webhook.refused', targetType: 'playbook', targetId: id.slice(0, 64), details: { reason: message } },
      ]);
      throw new DomainError(code, message);
    };
    // What anyone can provoke: counted, audited per minute.
    const address = clientAddress(c, deps.proxyHops ?? 0);
    const turnAway = async (reason: RefusalReason, code: 'unauthenticated' | 'conflict' | 'rate_limited', message: string): Promise<never> => {
      await refusals.record(id, address, reason);
      throw new DomainError(code, message);
    };
    if (!PLAYBOOK_ID.test(id)) throw new DomainError('not_found', 'no webhook here');
    const loaded = playbooks.catalog().playbooks.find((p) => p.def.id === id && p.def.triggers.webhook);
    const [row] = await sql<{ sealed: Uint8Array }[]>`SELECT sealed FROM playbook_webhook_secrets WHERE playbook_id = ${id}`;
    // Not audited: anyone can probe paths, and only a playbook that takes webhooks has deliveries to account for.
    if (!loaded || !row) throw new DomainError('not_found', `playbook "${id}" takes no webhook (not loaded, triggers.webhook is false, or no secret is set)`);

    const held = await refusals.retryAfter(id, address);
    if (held > 0) {
      c.header('Retry-After', String(held));
      return turnAway('over_refusal_limit', 'rate_limited', `too many refused deliveries to playbook "${id}" from this address; retry in ${held} s`);
    }
    const raw = await c.req.text();
    const ts = c.req.header(HOOK_TIMESTAMP_HEADER) ?? '';
    const sig = c.req.header(HOOK_SIGNATURE_HEADER) ?? '';
    if (!/^\d{1,12}$/.test(ts)) return turnAway('bad_timestamp', 'unauthenticated', `header ${HOOK_TIMESTAMP_HEADER} must be unix seconds`);
    if (Math.abs(now() / 1000 - Number(ts)) > HOOK_WINDOW_SECONDS)
      return turnAway('stale_timestamp', 'unauthenticated', `the timestamp is outside the ±${HOOK_WINDOW_SECONDS} s window`);
    const expected = Buffer.from(signHook(playbooks.box.open(row.sealed), ts, raw));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return turnAway('bad_signature', 'unauthenticated', 'bad signature');

    const sigHash = createHash('sha256').update(sig).digest('hex');
    await sql`DELETE FROM webhook_deliveries WHERE received_at < now() - ${HOOK_WINDOW_SECONDS * 2} * interval '1 second'`;
    // A sender stuck in a loop must not start a run per request: so many per playbook per minute.
    const max = playbooks.webhookMaxPerMinute;
    const [recent] = await sql<{ n: number; wait: number | null }[]>`
      SELECT count(*)::int AS n, ceil(extract(epoch FROM min(received_at) + interval '60 seconds' - now()))::int AS wait
      FROM webhook_deliveries WHERE playbook_id = ${id} AND received_at > now() - interval '60 seconds'`;
    if (recent && recent.n >= max) {
      const wait = Math.max(1, recent.wait ?? 60);
      c.header('Retry-After', String(wait));
      return turnAway(
        'over_delivery_limit',
        'rate_limited',
        `playbook "${id}" already accepted ${max} deliveries in the last minute (PLAYBOOK_WEBHOOK_MAX_PER_MINUTE); retry in ${wait} s`,
      );
    }
    const fresh = await sql`INSERT INTO webhook_deliveries (signature_hash, playbook_id) VALUES (${sigHash}, ${id}) ON CONFLICT DO NOTHING RETURNING 1`;
    if (fresh.length === 0) return turnAway('replay', 'conflict', 'this delivery was already received (replay)');

    let json: unknown;
    try {
      json = raw === '' ? {} : JSON.parse(raw);
    } catch {
      return refuse('bad_request', 'the body is not JSON');
    }
    const unsafe = findUnsafeText(json);
    if (unsafe) return refuse('bad_request', unsafeTextMessage('json', unsafe));
    const body = hookBody.safeParse(json);
    if (!body.success) return refuse('bad_request', `body field "incident_id": ${body.error.issues[0]?.message ?? 'invalid'}`);
    const incidentId = body.data.incident_id?.toLowerCase() ?? null;
    const incident = incidentId ? await getIncident(sql, deps.policy, incidentId) : null;
    if (incidentId && !incident) return refuse('not_found', `no incident ${incidentId}`);
    const why = incident ? await incidentMismatch(loaded, incident as unknown as Record<string, unknown>) : null;
    if (why) return refuse('unprocessable', `playbook "${id}" does not apply to incident ${incidentId}: ${why}`);

    const r = await playbooks.engine.startRun({
      playbook: loaded.def,
      incidentId,
      dryRun: false,
      trigger: 'webhook',
      triggerBody: body.data,
      startedBy: { name: `webhook ${id}`, key: 'webhook' },
    });
    await audit.append([
      {
        actor: SYSTEM_ACTOR,
        action: 'playbook.webhook.accepted',
        targetType: 'playbook_run',
        targetId: r.runId,
        incidentId,
        details: { playbook_id: id, signature_sha256: sigHash },
      },
    ]);
    return c.json(await getRun(sql, r.runId), 202);
  });

  return app;
}
