/**
 * The login rate limit, kept in Postgres (login_attempts) so it holds across processes and
 * restarts: at most `perAccount` failures per email and `perAddress` per client address within
 * `windowMs`. Checked before the password is hashed, so a locked-out guesser costs no argon2.
 */
import type { Sql } from '../db/connect.ts';

export interface RateLimitOptions {
  perAccount: number;
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 };

export interface LoginLimiter {
  /** Seconds to wait before another attempt, or 0 when an attempt is allowed. */
  retryAfter(email: string, address: string): Promise<number>;
  recordFailure(email: string, address: string): Promise<void>;
  /** A successful login clears the account's failures. */
  recordSuccess(email: string): Promise<void>;
}

export function createLoginLimiter(sql: Sql, opts: RateLimitOptions): LoginLimiter {
  const windowMs = opts.windowMs;
  return {
    async retryAfter(email, address) {
      const since = new Date(Date.now() - windowMs);
      const [r] = await sql<{ acc_n: number; acc_nth: Date | null; addr_n: number; addr_nth: Date | null }[]>`
        SELECT
          (SELECT count(*)::int FROM login_attempts WHERE email = ${email} AND at > ${since}) AS acc_n,
          (SELECT at FROM login_attempts WHERE email = ${email} AND at > ${since}
             ORDER BY at DESC OFFSET ${opts.perAccount - 1} LIMIT 1) AS acc_nth,
          (SELECT count(*)::int FROM login_attempts WHERE address = ${address} AND at > ${since}) AS addr_n,
          (SELECT at FROM login_attempts WHERE address = ${address} AND at > ${since}
             ORDER BY at DESC OFFSET ${opts.perAddress - 1} LIMIT 1) AS addr_nth`;
      if (!r) return 0;
      // Blocked until the limit-th most recent failure leaves the window.
      let until = 0;
      if (r.acc_n >= opts.perAccount && r.acc_nth) until = Math.max(until, r.acc_nth.getTime() + windowMs);
      if (r.addr_n >= opts.perAddress && r.addr_nth) until = Math.max(until, r.addr_nth.getTime() + windowMs);
      return until > Date.now() ? Math.max(1, Math.ceil((until - Date.now()) / 1000)) : 0;
    },
    async recordFailure(email, address) {
      await sql`INSERT INTO login_attempts (email, address) VALUES (${email}, ${address})`;
      // Keep the table small: old attempts no longer count.
      if (Math.random() < 0.05) await sql`DELETE FROM login_attempts WHERE at < ${new Date(Date.now() - windowMs)}`;
    },
    async recordSuccess(email) {
      await sql`DELETE FROM login_attempts WHERE email = ${email}`;
    },
  };
}
