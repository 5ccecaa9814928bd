/**
 * Refused inbound webhook deliveries, counted rather than audited one by one: anyone can send a
 * bad signature, and what a stranger sends must not grow the audit log without bound. Each
 * refusal adds one to its row in `webhook_refusals` (playbook, minute, client address, reasons);
 * once a minute is over, one `playbook.webhook.refused` entry per playbook and minute goes into
 * the audit log, its details (hashed into the entry's digest) the count, the reasons and the
 * busiest addresses, and the rows stay a week to back it. Whichever process flushes first writes
 * a minute's entry (rows are claimed with SKIP LOCKED); closing flushes the current minute too.
 *
 * An address refused `maxRefusedPerMinute` times for one playbook in the current minute is
 * answered 429 before its signature is checked, until the minute ends; other senders (other
 * addresses) are not held back.
 */
import { SYSTEM_ACTOR, type AuditEvent } from '../audit/audit-types.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Sql } from '../db/connect.ts';
import { rateLimitKey } from '../http/ip-address.ts';
import type { Logger } from '../logger.ts';

export type RefusalReason = 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' | 'replay' | 'over_delivery_limit' | 'over_refusal_limit';

export interface HookRefusals {
  /** Seconds until `address` may deliver to `playbookId` again; 0 = go ahead. */
  retryAfter(playbookId: string, address: string): Promise<number>;
  record(playbookId: string, address: string, reason: RefusalReason): Promise<void>;
  /** Audit the counts of finished minutes (`all`: the current one too); returns the entries written. */
  flush(opts?: { all?: boolean }): Promise<number>;
  start(): void;
  /** Stop the timer and flush everything (closing). */
  stop(): Promise<void>;
}

export interface HookRefusalOptions {
  /** PLAYBOOK_WEBHOOK_MAX_REFUSED_PER_MINUTE (default 10). */
  maxRefusedPerMinute?: number;
  /** How often finished minutes are audited (default 15 s). */
  flushIntervalMs?: number;
}

/** Addresses named in a summary; the rest are only counted. */
const TOP_ADDRESSES = 10;

interface Claimed {
  playbook_id: string;
  minute: Date;
  address: string;
  n: number;
  reasons: Record<string, number>;
}

export function createHookRefusals(deps: { sql: Sql; audit: AuditLog; logger: Logger }, opts: HookRefusalOptions = {}): HookRefusals {
  const { sql, audit, logger } = deps;
  const max = opts.maxRefusedPerMinute ?? 10;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<number> | null = null;

  async function flushOnce(all: boolean): Promise<number> {
    return sql.begin(async (tx) => {
      const rows = await tx<Claimed[]>`
        WITH picked AS (
          SELECT playbook_id, minute, address, count - audited AS n, reasons FROM webhook_refusals
          WHERE count > audited AND (${all} OR minute < date_trunc('minute', now()))
          FOR UPDATE SKIP LOCKED
        )
        UPDATE webhook_refusals w SET audited = w.count, reasons = '{}'
        FROM picked p WHERE w.playbook_id = p.playbook_id AND w.minute = p.minute AND w.address = p.address
        RETURNING p.playbook_id, p.minute, p.address, p.n, p.reasons`;
      const groups = new Map<string, Claimed[]>();
      for (const r of rows) {
        const k = `${r.playbook_id} ${r.minute.toISOString()}`;
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      const events: AuditEvent[] = [...groups.values()]
        .sort((a, b) => (a[0]?.minute.getTime() ?? 0) - (b[0]?.minute.getTime() ?? 0))
        .map((g) => {
          const reasons: Record<string, number> = {};
          for (const r of g) for (const [k, v] of Object.entries(r.reasons)) if (k !== '__proto__') reasons[k] = (reasons[k] ?? 0) + v;
          const busiest = [...g].sort((a, b) => b.n - a.n).slice(0, TOP_ADDRESSES);
          return {
            actor: SYSTEM_ACTOR,
            action: 'playbook.webhook.refused',
            targetType: 'playbook',
            targetId: g[0]?.playbook_id ?? null,
            details: {
              minute: g[0]?.minute.toISOString(),
              count: g.reduce((s, r) => s + r.n, 0),
              reasons,
              addresses: Object.fromEntries(busiest.map((r) => [r.address, r.n])),
              address_count: g.length,
            },
          };
        });
      await audit.append(events, tx);
      await tx`DELETE FROM webhook_refusals WHERE count = audited AND minute < now() - interval '7 days'`;
      return events.length;
    });
  }

  function flush(o: { all?: boolean } = {}): Promise<number> {
    // One flush at a time per process; a later caller waits for it and then flushes its own.
    const run = (flushing ?? Promise.resolve(0)).catch(() => 0).then(() => flushOnce(o.all ?? false));
    flushing = run;
    return run.finally(() => {
      if (flushing === run) flushing = null;
    });
  }

  return {
    async retryAfter(playbookId, address) {
      const [r] = await sql<{ count: number; wait: number }[]>`
        SELECT count, ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int AS wait
        FROM webhook_refusals
        WHERE playbook_id = ${playbookId} AND minute = date_trunc('minute', now()) AND address = ${rateLimitKey(address)}`;
      return r && r.count >= max ? Math.max(1, r.wait) : 0;
    },
    async record(playbookId, address, reason) {
      await sql`
        INSERT INTO webhook_refusals (playbook_id, minute, address, count, reasons)
        VALUES (${playbookId}, date_trunc('minute', now()), ${rateLimitKey(address)}, 1, jsonb_build_object(${reason}::text, 1))
        ON CONFLICT (playbook_id, minute, address) DO UPDATE SET
          count = webhook_refusals.count + 1,
          reasons = webhook_refusals.reasons || jsonb_build_object(${reason}::text, coalesce((webhook_refusals.reasons ->> ${reason}::text)::int, 0) + 1)`;
    },
    flush,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        flush().catch((e: unknown) => logger.error({ err: e }, 'auditing refused webhook deliveries failed'));
      }, opts.flushIntervalMs ?? 15_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await flush({ all: true }).catch((e: unknown) => logger.error({ err: e }, 'auditing refused webhook deliveries failed'));
    },
  };
}
