// @vitest-environment node
/**
 * Guest invitations end to end: a lead invites an unknown email to one incident (a guest user
 * with a one-time link is created), the guest sets a password and reaches only that incident,
 * read-only as invited; removing the grant takes the access away at once. Also: an open
 * socket whose session expires is closed with 4403 by the periodic re-check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SYNC_CLOSE } from '../../shared/api.ts';
import { inviteGuestResponse, meResponse } from '../../shared/auth-api.ts';
import { createIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';
import { connectClient, startTestServer, type TestServer } from '../testing/test-server.ts';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ auth: { socketRecheckMs: 100, credentialCacheMs: 50 } });
});
afterAll(async () => {
  await ts.stop();
});

async function makeIncident(): Promise<string> {
  const id = newId();
  const doc = new Y.Doc({ guid: id });
  createIncident(doc, { title: 'Guest flow', createdBy: 'tester' });
  await ts.server.docs.withDoc(id, (_d, h) => {
    const r = h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN);
    if (!r.ok) throw new Error(r.error);
  });
  await ts.server.docs.flush();
  await ts.server.projector.flush();
  return id;
}

describe('guests', () => {
  it('invites an unknown email as a read-only guest of one incident, who then reaches only it', async () => {
    const lead = await ts.as('lead');
    const [a, b] = [await makeIncident(), await makeIncident()];
    const r = await ts.fetch(`/api/v1/incidents/${a}/guests`, {
      as: lead,
      method: 'POST',
      json: { email: 'counsel@law.example', display_name: 'Outside counsel', access: 'read' },
    });
    expect(r.status).toBe(201);
    const invited = inviteGuestResponse.parse(await r.json());
    expect(invited.grant).toMatchObject({ incident_id: a, access: 'read', evidence_download: false, invited_by: lead.user.id });
    expect(invited.grant.user.role).toBe('guest');
    expect(invited.invite_url).toMatch(/accept-invite#token=/);

    const token = decodeURIComponent(new URL(invited.invite_url ?? '').hash.replace('#token=', ''));
    const accepted = await ts.fetch('/api/v1/auth/accept-invite', { as: null, method: 'POST', json: { token, password: 'counsel password 1' } });
    expect(accepted.status).toBe(200);
    const me = meResponse.parse(await accepted.json());
    expect(me.grants).toEqual({ [a]: { access: 'read', evidence: false } });
    const cookie = (accepted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const guest = { user: null as never, headers: { cookie }, secret: '', credentialId: '' };

    expect((await ts.fetch(`/api/v1/incidents/${a}`, { as: guest })).status).toBe(200);
    expect((await ts.fetch(`/api/v1/incidents/${b}`, { as: guest })).status).toBe(403);
    const list = (await (await ts.fetch('/api/v1/incidents', { as: guest })).json()) as { items: { id: string }[]; total: number };
    expect(list.items.map((i) => i.id)).toEqual([a]);
    expect(list.total).toBe(1);

    const listed = (await (await ts.fetch(`/api/v1/incidents/${a}/guests`, { as: lead })).json()) as { items: { user: { email: string } }[] };
    expect(listed.items.map((g) => g.user.email)).toEqual(['counsel@law.example']);

    // Inviting a team member as a guest is refused.
    const member = await ts.fetch(`/api/v1/incidents/${a}/guests`, {
      as: lead,
      method: 'POST',
      json: { email: lead.user.email, display_name: 'x', access: 'read' },
    });
    expect(member.status).toBe(409);

    expect((await ts.fetch(`/api/v1/incidents/${a}/guests/${invited.grant.user.id}`, { as: lead, method: 'DELETE' })).status).toBe(204);
    expect((await ts.fetch(`/api/v1/incidents/${a}`, { as: guest })).status).toBe(403);
    const audit = await ts.server.sql`SELECT action FROM audit_log WHERE incident_id = ${a} AND action LIKE 'guest.%' ORDER BY seq`;
    expect(audit.map((r) => r.action)).toEqual(['guest.invite', 'guest.remove']);
  });

  it('ID4: closes an open socket with 4403 soon after its session expires', async () => {
    const id = await makeIncident();
    const analyst = await ts.as('analyst');
    const c = connectClient(ts.wsUrl, id, { as: analyst });
    try {
      await c.synced();
      const closed = new Promise<number>((resolve) => c.provider.ws?.addEventListener('close', (e) => resolve((e as CloseEvent).code)));
      await ts.server.sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${analyst.credentialId}`;
      expect(await closed).toBe(SYNC_CLOSE.unauthenticated.code);
    } finally {
      c.destroy();
    }
  });
});
