/**
 * The login rate limit, kept in Postgres so it holds across processes and restarts. Three
 * limits, so that a guesser is slowed down without locking the real owner out:
 *
 * - Per (account, address) pair, exponential backoff: `pairFree` failures are free, then each
 *   further one makes the pair wait `pairBaseMs` · 2^(n − pairFree), at most `pairMaxMs`. An
 *   attacker at one address cannot lock the owner out at another; a success clears the pair.
 * - Per account, a global cap: `perAccount` failures within `windowMs`, from all addresses
 *   together, lock the account until the oldest of them leaves the window (a guesser with many
 *   addresses is still bounded). High by default (100 / 15 min) so it is only reached by attacks.
 * - Per address, a slowdown: past `perAddress` failures within the window (across accounts),
 *   the address may make one attempt per `addressSpacingMs`. Everyone behind the same proxy
 *   waits a moment; nobody is locked out.
 *
 * Addresses are counted by `rateLimitKey` (an IPv6 /64 is one client). Checking and counting an
 * attempt is one transaction serialised per account and per address (advisory locks), and the
 * attempt counts as a failure from then on until `succeeded` refunds it, so parallel guesses
 * cannot all pass the check before any is recorded. All before any password is hashed.
 */
import type { Sql } from '../db/connect.ts';
import { rateLimitKey } from '../http/ip-address.ts';
import { KEYED_LOCK_SEEDS } from '../db/locks.ts';

export interface RateLimitOptions {
  /** Failures per account within the window, all addresses together (LOGIN_MAX_FAILURES_PER_ACCOUNT). */
  perAccount: number;
  /** Failures per address within the window, all accounts together, before it is slowed (LOGIN_MAX_FAILURES_PER_ADDRESS). */
  perAddress: number;
  /** The window of the two counts above (LOGIN_WINDOW_MINUTES). */
  windowMs: number;
  /** Failures one (account, address) pair makes before it backs off (LOGIN_BACKOFF_AFTER). */
  pairFree: number;
  /** The first backoff; it doubles with each further failure. */
  pairBaseMs: number;
  /** The longest backoff (LOGIN_BACKOFF_MAX_MINUTES). */
  pairMaxMs: number;
  /** A pair quiet this long starts again from zero. */
  pairResetMs: number;
  /** A slowed address may attempt once per this long. */
  addressSpacingMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  perAccount: 100,
  perAddress: 50,
  windowMs: 15 * 60_000,
  pairFree: 3,
  pairBaseMs: 1_000,
  pairMaxMs: 15 * 60_000,
  pairResetMs: 24 * 3_600_000,
  addressSpacingMs: 2_000,
};

/** Go ahead (the attempt counts as a failure until `succeeded`), or wait this many seconds. */
type LoginAttempt = { allowed: true; id: number } | { allowed: false; retryAfter: number; limit: 'pair' | 'account' | 'address' };

export interface LoginLimiter {
  begin(email: string, address: string): Promise<LoginAttempt>;
  /** The password was right: refund the attempt and clear the pair's backoff. */
  succeeded(email: string, address: string, attemptId: number): Promise<void>;
}

/** How long a pair with `failures` consecutive failures waits after its last one. */
export function pairBackoffMs(failures: number, o: Pick<RateLimitOptions, 'pairFree' | 'pairBaseMs' | 'pairMaxMs'>): number {
  if (failures < o.pairFree) return 0;
  return Math.min(o.pairMaxMs, o.pairBaseMs * 2 ** Math.min(failures - o.pairFree, 40));
}

interface Counts {
  acc_n: number;
  acc_nth: Date | null;
  addr_n: number;
  addr_last: Date | null;
  pair_n: number | null;
  pair_last: Date | null;
}

export function createLoginLimiter(sql: Sql, opts: RateLimitOptions, now: () => number = Date.now): LoginLimiter {
  return {
    async begin(email, address) {
      const key = rateLimitKey(address);
      return sql.begin(async (tx) => {
        // Account first, then address, always in this order (no deadlock between two attempts).
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`login-account:${email}`}, ${KEYED_LOCK_SEEDS.login}))`;
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`login-address:${key}`}, ${KEYED_LOCK_SEEDS.login}))`;
        const t = now();
        const since = new Date(t - opts.windowMs);
        const [r] = await tx<Counts[]>`
          SELECT
            (SELECT count(*)::int FROM login_attempts WHERE email = ${email} AND at > ${since}) AS acc_n,
            (SELECT at FROM login_attempts WHERE email = ${email} AND at > ${since}
               ORDER BY at DESC OFFSET ${opts.perAccount - 1} LIMIT 1) AS acc_nth,
            (SELECT count(*)::int FROM login_attempts WHERE address = ${key} AND at > ${since}) AS addr_n,
            (SELECT max(at) FROM login_attempts WHERE address = ${key} AND at > ${since}) AS addr_last,
            p.failures AS pair_n, p.last_at AS pair_last
          FROM (SELECT 1) one LEFT JOIN login_pairs p ON p.email = ${email} AND p.address = ${key}`;
        const fresh = !r?.pair_last || t - r.pair_last.getTime() > opts.pairResetMs;
        const pairN = fresh ? 0 : (r?.pair_n ?? 0);
        const waits: { until: number; limit: 'pair' | 'account' | 'address' }[] = [];
        if (r && r.acc_n >= opts.perAccount && r.acc_nth) waits.push({ until: r.acc_nth.getTime() + opts.windowMs, limit: 'account' });
        if (r && r.addr_n >= opts.perAddress && r.addr_last) waits.push({ until: r.addr_last.getTime() + opts.addressSpacingMs, limit: 'address' });
        if (r?.pair_last && pairN > 0) waits.push({ until: r.pair_last.getTime() + pairBackoffMs(pairN, opts), limit: 'pair' });
        const worst = waits.filter((w) => w.until > t).sort((a, b) => b.until - a.until)[0];
        if (worst) return { allowed: false, retryAfter: Math.max(1, Math.ceil((worst.until - t) / 1000)), limit: worst.limit } as const;

        const at = new Date(t);
        const [row] = await tx<{ id: number }[]>`INSERT INTO login_attempts (email, address, at) VALUES (${email}, ${key}, ${at}) RETURNING id`;
        await tx`
          INSERT INTO login_pairs (email, address, failures, last_at) VALUES (${email}, ${key}, 1, ${at})
          ON CONFLICT (email, address) DO UPDATE SET failures = ${pairN + 1}, last_at = ${at}`;
        // Keep the tables small: what no longer counts goes now and then.
        if (Math.random() < 0.02) {
          await tx`DELETE FROM login_attempts WHERE at < ${since}`;
          await tx`DELETE FROM login_pairs WHERE last_at < ${new Date(t - opts.pairResetMs)}`;
        }
        return { allowed: true, id: Number(row?.id) } as const;
      });
    },
    async succeeded(email, address, attemptId) {
      const key = rateLimitKey(address);
      await sql`DELETE FROM login_attempts WHERE id = ${attemptId}`;
      await sql`DELETE FROM login_pairs WHERE email = ${email} AND address = ${key}`;
    },
  };
}
