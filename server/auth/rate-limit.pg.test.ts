// @vitest-environment node
/**
 * The login limiter against Postgres, on a clock the test moves: an attacker at one address
 * backs off exponentially without locking the owner out at another; the global cap per account
 * holds across addresses; a busy address is slowed, not blocked; parallel guesses cannot all
 * slip past the check; a success clears the pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { createLoginLimiter, DEFAULT_RATE_LIMIT, pairBackoffMs, type LoginLimiter, type RateLimitOptions } from './rate-limit.ts';

let db: TestDatabase;
let t = Date.UTC(2026, 0, 1);
const clock = () => t;
const limiter = (o: Partial<RateLimitOptions> = {}): LoginLimiter => createLoginLimiter(db.sql, { ...DEFAULT_RATE_LIMIT, ...o }, clock);

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

/** Fail as soon as allowed, waiting out each backoff; the waits the pair was told. */
async function failRepeatedly(l: LoginLimiter, email: string, address: string, n: number): Promise<number[]> {
  const waits: number[] = [];
  for (let done = 0; done < n;) {
    const a = await l.begin(email, address);
    if (a.allowed) {
      done++;
      continue;
    }
    waits.push(a.retryAfter);
    t += a.retryAfter * 1000;
  }
  return waits;
}

describe('ID5: login limiter', () => {
  it('an attacker failing 10 times at address A does not keep the owner at address B out', async () => {
    const l = limiter();
    await failRepeatedly(l, 'owner@example.com', '203.0.113.10', 10);
    const blocked = await l.begin('owner@example.com', '203.0.113.10');
    expect(blocked).toMatchObject({ allowed: false, limit: 'pair' });
    const owner = await l.begin('owner@example.com', '198.51.100.20');
    expect(owner.allowed).toBe(true);
  });

  it('backs a failing pair off exponentially, and a success clears it', async () => {
    const l = limiter();
    const waits = await failRepeatedly(l, 'backoff@example.com', '203.0.113.11', 8);
    // 3 free failures, then 1, 2, 4, 8, 16 s.
    expect(waits).toEqual([1, 2, 4, 8, 16]);
    expect(await l.begin('backoff@example.com', '203.0.113.11')).toMatchObject({ allowed: false, retryAfter: 32 });
    t += 32_000;
    const ok = await l.begin('backoff@example.com', '203.0.113.11');
    if (!ok.allowed) throw new Error('should be allowed after the backoff');
    await l.succeeded('backoff@example.com', '203.0.113.11', ok.id);
    expect(await failRepeatedly(l, 'backoff@example.com', '203.0.113.11', 3)).toEqual([]);
    expect(pairBackoffMs(40, DEFAULT_RATE_LIMIT)).toBe(DEFAULT_RATE_LIMIT.pairMaxMs);
  });

  it('holds the global cap per account across addresses, for the owner too, until the window passes', async () => {
    const l = limiter({ perAccount: 20, windowMs: 60_000 });
    for (let i = 0; i < 20; i++) expect((await l.begin('capped@example.com', `10.20.0.${i}`)).allowed).toBe(true);
    const owner = await l.begin('capped@example.com', '198.51.100.30');
    expect(owner).toMatchObject({ allowed: false, limit: 'account' });
    if (owner.allowed) return;
    expect(owner.retryAfter).toBeGreaterThan(0);
    expect(owner.retryAfter).toBeLessThanOrEqual(60);
    t += owner.retryAfter * 1000;
    expect((await l.begin('capped@example.com', '198.51.100.30')).allowed).toBe(true);
  });

  it('slows a busy address (one attempt per spacing) without locking the accounts behind it', async () => {
    const l = limiter({ perAddress: 5, addressSpacingMs: 2_000 });
    for (let i = 0; i < 5; i++) expect((await l.begin(`user${i}@proxy.example`, '192.0.2.50')).allowed).toBe(true);
    const next = await l.begin('colleague@proxy.example', '192.0.2.50');
    expect(next).toMatchObject({ allowed: false, limit: 'address', retryAfter: 2 });
    t += 2_000;
    expect((await l.begin('colleague@proxy.example', '192.0.2.50')).allowed).toBe(true);
    expect((await l.begin('another@proxy.example', '192.0.2.51')).allowed).toBe(true);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const l = limiter();
    for (let i = 1; i <= 3; i++) expect((await l.begin('v6@example.com', `2001:db8:aa:bb::${i}`)).allowed).toBe(true);
    expect(await l.begin('v6@example.com', '2001:db8:aa:bb:ffff::9')).toMatchObject({ allowed: false, limit: 'pair' });
    expect((await l.begin('v6@example.com', '2001:db8:aa:cc::1')).allowed).toBe(true);
  });

  it('lets only the free attempts through when 20 guesses arrive at once', async () => {
    const l = limiter();
    const results = await Promise.all(Array.from({ length: 20 }, () => l.begin('parallel@example.com', '203.0.113.12')));
    expect(results.filter((r) => r.allowed)).toHaveLength(DEFAULT_RATE_LIMIT.pairFree);
  });
});
