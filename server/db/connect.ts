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
  logger?: Logger;
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    types: { int8: int8AsNumber },
    onnotice: (notice) => opts.logger?.debug({ notice: notice.message }, 'postgres notice'),
    connection: { application_name: 'sentpilot' },
  });
}
