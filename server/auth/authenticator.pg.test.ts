// @vitest-environment node
/**
 * The authenticator against Postgres: sessions renew their idle expiry on use (never past their
 * maximum), expire when idle, and an invalidation clears the cache at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import { createAuthenticator } from './authenticator.ts';
import { createSession } from './credential-store.ts';
import { insertUser } from './user-store.ts';

let db: TestDatabase;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

const expiresAt = async (id: string): Promise<number> =>
  (await db.sql<{ expires_at: Date }[]>`SELECT expires_at FROM sessions WHERE id = ${id}`)[0]?.expires_at.getTime() ?? 0;

describe('authenticator', () => {
  it('ID4: renews a used session up to its maximum, and refuses it once idle past its expiry', async () => {
    const u = await insertUser(db.sql, { email: 'renew@test.local', displayName: 'R', role: 'analyst', passwordHash: null, authKind: 'invited' });
    if (!u) throw new Error('no user');
    const ttl = 3_600_000;
    const auth = createAuthenticator({ sql: db.sql, logger, sessionTtlMs: ttl, cacheMs: 0, renewEveryMs: 0 });
    const s = await createSession(db.sql, u.id, 60_000, null);
    const cred = { kind: 'session' as const, secret: s.secret };
    expect((await auth.resolve(cred)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect((await auth.resolve(cred)).ok).toBe(true);
    const { waitFor } = await import('../testing/wait-for.ts');
    await waitFor(async () => (await expiresAt(s.id)) > Date.now() + ttl - 10_000, { message: 'renewed' });

    // Never past the maximum.
    await db.sql`UPDATE sessions SET max_expires_at = now() + interval '2 minutes' WHERE id = ${s.id}`;
    await auth.resolve(cred);
    await waitFor(async () => (await expiresAt(s.id)) <= Date.now() + 120_000, { message: 'capped' });

    // Idle past its expiry: refused as expired.
    await db.sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${s.id}`;
    expect(await auth.resolve(cred)).toEqual({ ok: false, reason: 'expired' });
  });

  it('ID4: serves from the cache until invalidated', async () => {
    const u = await insertUser(db.sql, { email: 'cache@test.local', displayName: 'C', role: 'viewer', passwordHash: null, authKind: 'invited' });
    if (!u) throw new Error('no user');
    const auth = createAuthenticator({ sql: db.sql, logger, sessionTtlMs: 3_600_000, cacheMs: 60_000 });
    await auth.start();
    try {
      const s = await createSession(db.sql, u.id, 3_600_000, null);
      const cred = { kind: 'session' as const, secret: s.secret };
      expect((await auth.resolve(cred)).ok).toBe(true);
      await db.sql`UPDATE sessions SET revoked_at = now() WHERE id = ${s.id}`;
      expect((await auth.resolve(cred)).ok).toBe(true); // cached
      await auth.invalidate();
      expect(await auth.resolve(cred)).toEqual({ ok: false, reason: 'revoked' });
      expect(await auth.resolve(null)).toEqual({ ok: false, reason: 'none' });
      expect(await auth.resolve({ kind: 'token', secret: 'sp_unknown' })).toEqual({ ok: false, reason: 'invalid' });
    } finally {
      await auth.close();
    }
  });
});
