/**
 * The Postgres client factory (postgres.js). One pool per server process; LISTEN uses its own
 * connection inside postgres.js.
 */
import postgres from 'postgres';
import type { Logger } from '../logger.ts';

/** int8 (sequence numbers, counts, versions) parsed as a JS number: they stay below 2^53. */
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => Number(x),
};

export type Sql = postgres.Sql<{ int8: number }>;
export type TransactionSql = postgres.TransactionSql<{ int8: number }>;

export interface ConnectOptions {
  /** Pool size (default 10). */
  max?: number;
  /**
   * Plan every prepared statement once, generically (`plan_cache_mode`), instead of Postgres
   * re-planning it for each call's values: for statements whose plan does not depend on the
   * values (index probes) and whose planning costs more than running them.
   */
  genericPlans?: boolean;
  logger?: Logger;
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    types: { int8: int8AsNumber },
    onnotice: (notice) => opts.logger?.debug({ notice: notice.message }, 'postgres notice'),
    // JIT compilation costs more than it saves on these short queries (1 s on a 1M-row read).
    connection: { application_name: 'sentpilot', jit: 'off', ...(opts.genericPlans ? { plan_cache_mode: 'force_generic_plan' } : {}) },
  });
}
