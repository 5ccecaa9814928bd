// @vitest-environment node
/**
 * The audit log against Postgres: writes through the API append entries that chain; a normal
 * run verifies clean; UPDATE, DELETE and TRUNCATE are refused by the database; tampering with
 * any row (as a superuser with triggers off) is reported by verify at that row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditListResponse, auditVerifyResponse } from '../../shared/auth-api.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { canonicalJson, createAuditLog, GENESIS_HASH } from './audit-log.ts';
import { SYSTEM_ACTOR } from './audit-types.ts';

let db: TestDatabase;
let ts: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  ts = await startTestServer({ db });
  // Some writes through the API: users, a token, a failed login.
  for (let i = 0; i < 3; i++) {
    await ts.fetch('/api/v1/users', { method: 'POST', json: { email: `u${i}@audit.test`, display_name: `U${i}`, role: 'viewer' } });
  }
  await ts.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'audit token', role: 'viewer' } });
  await ts.fetch('/api/v1/auth/login', { as: null, method: 'POST', json: { email: 'u0@audit.test', password: 'wrong password' } });
});
afterAll(async () => {
  await ts.stop();
  await db.drop();
});

const verify = async () => auditVerifyResponse.parse(await (await ts.fetch('/api/v1/audit-logs/verify')).json());

/** Tamper as a superuser would: with triggers off for this session. */
async function tamper(statement: (sql: TestDatabase['sql']) => Promise<unknown>): Promise<void> {
  await db.sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    await statement(tx as unknown as TestDatabase['sql']);
  });
}

describe('ID9: audit log', () => {
  it('records REST writes and failed logins, newest first, filterable', async () => {
    const page = auditListResponse.parse(await (await ts.fetch('/api/v1/audit-logs?limit=100')).json());
    const actions = page.items.map((e) => e.action);
    expect(actions).toContain('user.create');
    expect(actions).toContain('token.create');
    expect(actions).toContain('auth.login_failed');
    expect(actions).toContain('user.bootstrap_admin');
    const seqs = page.items.map((e) => e.seq);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    const only = auditListResponse.parse(await (await ts.fetch('/api/v1/audit-logs?action=token.create')).json());
    expect(only.items.map((e) => e.action)).toEqual(['token.create']);
    const paged = auditListResponse.parse(await (await ts.fetch('/api/v1/audit-logs?limit=2')).json());
    expect(paged.items).toHaveLength(2);
    expect(paged.next_before).toBe(paged.items[1]?.seq);
  });

  it('records server writes (the projector assigning a key) as the system, with the update digest', async () => {
    const Y = await import('yjs');
    const { createIncident } = await import('../../shared/incident-doc.ts');
    const { newId } = await import('../../shared/ids.ts');
    const id = newId();
    const doc = new Y.Doc({ guid: id });
    createIncident(doc, { title: 'Keyed by the server', createdBy: 'tester' });
    const b64 = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
    const r = await ts.fetch('/api/v1/sync/batch', {
      method: 'POST',
      json: { docs: [{ id, state_vector: Buffer.from(Y.encodeStateVector(new Y.Doc())).toString('base64'), update: b64 }] },
    });
    expect(r.status).toBe(200);
    await ts.server.projector.flush();
    await ts.server.docs.flush();
    const rows = await db.sql<{ actor_kind: string; actor_id: string | null }[]>`
      SELECT actor_kind, actor_id FROM audit_log WHERE action = 'incident.update' AND incident_id = ${id} ORDER BY seq`;
    expect(rows).toEqual([
      { actor_kind: 'user', actor_id: ts.admin.user.id },
      { actor_kind: 'system', actor_id: null },
    ]);
  });

  it('verifies clean on a normal run, with the chain linked from the genesis hash', async () => {
    const v = await verify();
    expect(v.ok).toBe(true);
    expect(v.checked).toBeGreaterThanOrEqual(6);
    const [first] = await db.sql<{ prev_hash: string }[]>`SELECT prev_hash FROM audit_log ORDER BY seq LIMIT 1`;
    expect(first?.prev_hash).toBe(GENESIS_HASH);
  });

  it('keeps the chain linear under concurrent appends', async () => {
    const audit = createAuditLog(db.sql);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit.append([{ actor: SYSTEM_ACTOR, action: 'test.concurrent', targetType: 'test', details: { i } }])),
    );
    expect((await verify()).ok).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await expect(db.sql`UPDATE audit_log SET actor_name = 'mallory'`).rejects.toThrow(/append-only/);
    await expect(db.sql`DELETE FROM audit_log`).rejects.toThrow(/append-only/);
    await expect(db.sql`TRUNCATE audit_log`).rejects.toThrow(/append-only/);
  });

  it('reports a tampered digest at exactly that row, for every row', async () => {
    const rows = await db.sql<{ seq: number; digest: string }[]>`SELECT seq, digest FROM audit_log ORDER BY seq`;
    for (const r of rows) {
      await tamper((sql) => sql`UPDATE audit_log SET digest = ${'f'.repeat(64)} WHERE seq = ${r.seq}`);
      expect(await verify()).toMatchObject({ ok: false, first_broken: { seq: r.seq } });
      await tamper((sql) => sql`UPDATE audit_log SET digest = ${r.digest} WHERE seq = ${r.seq}`);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('reports any tampered row at that row: a changed field, a recomputed hash, a deleted row', async () => {
    const rows = await db.sql<{ seq: number; hash: string }[]>`SELECT seq, hash FROM audit_log ORDER BY seq`;
    const target = rows[3];
    if (!target) throw new Error('too few rows');
    // 1. Change a field: hash mismatch at that row.
    const [orig] = await db.sql<{ actor_name: string }[]>`SELECT actor_name FROM audit_log WHERE seq = ${target.seq}`;
    await tamper((sql) => sql`UPDATE audit_log SET actor_name = 'mallory' WHERE seq = ${target.seq}`);
    let v = await verify();
    expect(v).toMatchObject({ ok: false, first_broken: { seq: target.seq, reason: expect.stringContaining('hash mismatch') } });
    await tamper((sql) => sql`UPDATE audit_log SET actor_name = ${orig?.actor_name ?? ''} WHERE seq = ${target.seq}`);
    expect((await verify()).ok).toBe(true);

    // 2. Change a field and recompute its own hash: the next row's link breaks.
    const [row] = await db.sql`SELECT * FROM audit_log WHERE seq = ${target.seq}`;
    const { createHash } = await import('node:crypto');
    const at = (row?.at as Date).toISOString();
    const forged = { ...row, at, action: 'forged.action' } as Record<string, unknown>;
    const { hash: _h, prev_hash, ...rest } = forged;
    const newHash = createHash('sha256')
      .update(String(prev_hash) + canonicalJson(rest))
      .digest('hex');
    await tamper((sql) => sql`UPDATE audit_log SET action = 'forged.action', hash = ${newHash} WHERE seq = ${target.seq}`);
    v = await verify();
    expect(v).toMatchObject({ ok: false, first_broken: { seq: rows[4]?.seq, reason: expect.stringContaining('broken link') } });
    await tamper((sql) => sql`UPDATE audit_log SET action = ${String(row?.action)}, hash = ${target.hash} WHERE seq = ${target.seq}`);
    expect((await verify()).ok).toBe(true);

    // 3. Delete a row: the next one no longer links.
    await tamper((sql) => sql`DELETE FROM audit_log WHERE seq = ${rows[2]?.seq ?? 0}`);
    v = await verify();
    expect(v).toMatchObject({ ok: false, first_broken: { seq: rows[3]?.seq } });
  });
});
