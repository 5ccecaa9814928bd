// @vitest-environment node
/**
 * The incident's end against the real server (issue 20): closing needs a resolution and a
 * one-line summary (400 naming the missing field), a lead corrects a stamped time with a reason
 * (REST, and over /sync where the server writes back anyone else's change), the metrics use the
 * corrected time and call the time to contain MTTC; the user directory for the assignee picker;
 * re-issued invitation links revoke the old ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentDetailResponse, incidentSummarySchema, timelineResponse } from '../../shared/api.ts';
import { userDirectoryResponse, reissueInviteResponse } from '../../shared/auth-api.ts';
import { correctMilestone, readMeta, readTimeline, setStatus } from '../../shared/incident-doc.ts';
import { metricsResponse } from '../../shared/incidents-api.ts';
import { connectClient, startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

async function call(method: string, path: string, json?: unknown, as?: TestIdentity | null): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await ts.fetch(`/api/v1${path}`, { method, json, ...(as !== undefined ? { as } : {}) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}
const errorOf = (body: Record<string, unknown>) => body['error'] as { code: string; message: string; details?: Record<string, unknown> };

async function create(body: Record<string, unknown> = {}): Promise<string> {
  const r = await call('POST', '/incidents', { title: 'Closing test', ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return incidentDetailResponse.parse(r.body).id;
}

describe('closing', () => {
  it('refuses to close without a resolution or a summary, naming the missing field, and changes nothing', async () => {
    const id = await create();
    const noResolution = await call('PATCH', `/incidents/${id}`, { status: 'closed', closing_summary: 'Phish reported, nobody clicked' });
    expect(noResolution.status).toBe(400);
    expect(errorOf(noResolution.body).details?.['field']).toBe('resolution');
    expect(errorOf(noResolution.body).message).toContain('resolution');
    const noSummary = await call('PATCH', `/incidents/${id}`, { status: 'closed', resolution: 'true_positive' });
    expect(noSummary.status).toBe(400);
    expect(errorOf(noSummary.body).details?.['field']).toBe('closing_summary');
    const blank = await call('PATCH', `/incidents/${id}`, { status: 'closed', resolution: 'true_positive', closing_summary: '  \n ' });
    expect(errorOf(blank.body).details?.['field']).toBe('closing_summary');
    const bad = await call('PATCH', `/incidents/${id}`, { status: 'closed', resolution: 'maybe', closing_summary: 'x' });
    expect(bad.status).toBe(400);
    // A resolution without closing is refused too (it belongs to the closing).
    const stray = await call('PATCH', `/incidents/${id}`, { resolution: 'duplicate' });
    expect(stray.status).toBe(400);
    expect(errorOf(stray.body).details?.['field']).toBe('resolution');
    const after = incidentDetailResponse.parse((await call('GET', `/incidents/${id}`)).body);
    expect(after.status).toBe('new');
    expect(after.resolution).toBeNull();
  });

  it('closes with the classification and the one-line summary, shown in the API and the timeline; a reopen clears them from the row', async () => {
    const id = await create();
    const r = await call('PATCH', `/incidents/${id}`, {
      status: 'closed',
      resolution: 'benign_true_positive',
      closing_summary: 'Pen test by the red team,\nauthorised',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const row = incidentSummarySchema.parse(r.body);
    expect(row.status).toBe('closed');
    expect(row.resolution).toBe('benign_true_positive');
    expect(row.closing_summary).toBe('Pen test by the red team, authorised');
    const meta = await ts.server.docs.withDoc(id, (doc) => readMeta(doc));
    expect(meta.resolution).toBe('benign_true_positive');
    const timeline = timelineResponse.parse((await call('GET', `/incidents/${id}/timeline`)).body);
    const close = timeline.items.find((e) => e.kind === 'status_change');
    expect(close?.text).toBe('Pen test by the red team, authorised');
    expect(close?.data).toMatchObject({ from: 'new', to: 'closed', resolution: 'benign_true_positive' });
    const reopened = incidentSummarySchema.parse((await call('PATCH', `/incidents/${id}`, { status: 'triage' })).body);
    expect(reopened.resolution).toBeNull();
    expect(reopened.closing_summary).toBeNull();
  });
});

describe('correcting stamped times', () => {
  it('lets a lead correct the contained time with a reason, recorded old and new, used by the metrics as MTTC; refuses an analyst', async () => {
    const detected = '2021-05-01T10:00:00.000Z';
    const id = await create({ detected_at: detected, title: 'Correct me' });
    await ts.server.sql`UPDATE incidents SET created_at = ${detected} WHERE id = ${id}`;
    // Backdate creation in the document too (the projection follows it), so the metrics range below holds it alone.
    await ts.server.docs.withDoc(id, (doc) => doc.getMap('meta').set('createdAt', detected));
    for (const to of ['triage', 'containment', 'eradication']) expect((await call('PATCH', `/incidents/${id}`, { status: to })).status).toBe(200);
    const analyst = await ts.as('analyst');
    const lead = await ts.as('lead');
    const corrected = '2021-05-01T12:30:00.000Z';
    const refused = await call('POST', `/incidents/${id}/milestones`, { field: 'contained_at', at: corrected, reason: 'isolated earlier' }, analyst);
    expect(refused.status).toBe(403);
    expect(errorOf(refused.body).message).toContain('incident:correct');
    const noReason = await call('POST', `/incidents/${id}/milestones`, { field: 'contained_at', at: corrected }, lead);
    expect(noReason.status).toBe(400);
    const notStamped = await call('POST', `/incidents/${id}/milestones`, { field: 'resolved_at', at: corrected, reason: 'x' }, lead);
    expect(notStamped.status).toBe(409);
    const before = incidentDetailResponse.parse((await call('GET', `/incidents/${id}`)).body).contained_at;
    const ok = await call(
      'POST',
      `/incidents/${id}/milestones`,
      { field: 'contained_at', at: corrected, reason: 'FS01 was isolated at 12:30; the status moved later' },
      lead,
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(incidentSummarySchema.parse(ok.body).contained_at).toBe(corrected);
    const timeline = timelineResponse.parse((await call('GET', `/incidents/${id}/timeline`)).body);
    const entry = timeline.items.find((e) => e.kind === 'field_change' && e.data?.['field'] === 'containedAt');
    expect(entry?.data).toMatchObject({ from: before, to: corrected, reason: 'FS01 was isolated at 12:30; the status moved later', correction: true });
    expect(entry?.author).toBe(lead.user.display_name);
    const m = metricsResponse.parse((await call('GET', '/metrics?from=2021-05-01T00:00:00.000Z&to=2021-05-02T00:00:00.000Z')).body);
    expect(m.incidents).toBe(1);
    expect(m.mttc).toEqual({ n: 1, mean_minutes: 150, median_minutes: 150 });
    // The old name stays as a deprecated alias.
    expect(m.mttr_containment).toEqual(m.mttc);
  });

  it('SY10: over /sync, writes back an analyst’s change of a stamped time and keeps a lead’s correction', async () => {
    const id = await create({ title: 'Sync correction' });
    for (const to of ['triage', 'containment', 'eradication']) expect((await call('PATCH', `/incidents/${id}`, { status: to })).status).toBe(200);
    const stamped = await ts.server.docs.withDoc(id, (doc) => readMeta(doc).containedAt);
    expect(stamped).not.toBeNull();
    const analyst = connectClient(ts.wsUrl, id, { as: await ts.as('analyst') });
    await analyst.synced();
    // An analyst's device rewrites the stamp (with the accessor, as an old or hostile client might).
    expect(correctMilestone(analyst.doc, 'containedAt', '2020-01-01T00:00:00.000Z', 'looks better', 'Analyst').ok).toBe(true);
    await waitFor(() => readMeta(analyst.doc).containedAt === stamped, { message: 'the stamp written back on the sender' });
    await waitFor(() => readTimeline(analyst.doc).some((e) => e.kind === 'system' && /only a lead corrects a stamped time/.test(e.text)), {
      message: 'the correction entry',
    });
    expect(await ts.server.docs.withDoc(id, (doc) => readMeta(doc).containedAt)).toBe(stamped);
    // Moving on in the workflow still stamps an unset time (resolved) from the analyst's device.
    expect(setStatus(analyst.doc, 'recovery', 'Analyst').ok).toBe(true);
    expect(setStatus(analyst.doc, 'post_incident', 'Analyst').ok).toBe(true);
    await waitFor(async () => (await ts.server.docs.withDoc(id, (doc) => readMeta(doc).resolvedAt)) !== null, { message: 'the resolved stamp' });
    const lead = connectClient(ts.wsUrl, id, { as: await ts.as('lead') });
    await lead.synced();
    expect(correctMilestone(lead.doc, 'containedAt', '2020-01-02T00:00:00.000Z', 'contained at the firewall', 'Lead').ok).toBe(true);
    await waitFor(async () => (await ts.server.docs.withDoc(id, (doc) => readMeta(doc).containedAt)) === '2020-01-02T00:00:00.000Z', {
      message: "the lead's correction kept",
    });
    analyst.destroy();
    lead.destroy();
  });
});

describe('the user directory', () => {
  it('lists active team members to any reader (not guests, not disabled); refuses guests', async () => {
    const viewer = await ts.as('viewer');
    const gone = await ts.as('analyst');
    await ts.server.sql`UPDATE users SET disabled = true WHERE id = ${gone.user.id}`;
    const guest = await ts.as('guest', { grants: {} });
    const r = await call('GET', '/users/directory', undefined, viewer);
    expect(r.status).toBe(200);
    const dir = userDirectoryResponse.parse(r.body);
    const ids = dir.items.map((u) => u.id);
    expect(ids).toContain(viewer.user.id);
    expect(ids).toContain(ts.admin.user.id);
    expect(ids).not.toContain(gone.user.id);
    expect(ids).not.toContain(guest.user.id);
    expect(Object.keys(dir.items[0] ?? {}).sort()).toEqual(['display_name', 'id', 'role']);
    expect((await call('GET', '/users/directory', undefined, guest)).status).toBe(403);
    expect((await call('GET', '/users/directory', undefined, null)).status).toBe(401);
  });
});

describe('re-issued invitations', () => {
  it('gives a new link and revokes the old one; refuses users who accepted and non-admins', async () => {
    const created = await call('POST', '/users', { email: 'late@test.local', display_name: 'Late Joiner', role: 'analyst' });
    expect(created.status).toBe(201);
    const user = created.body['user'] as { id: string };
    const oldUrl = created.body['invite_url'] as string;
    const lead = await ts.as('lead');
    expect((await call('POST', `/users/${user.id}/invite`, undefined, lead)).status).toBe(403);
    const again = await call('POST', `/users/${user.id}/invite`);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const re = reissueInviteResponse.parse(again.body);
    expect(re.revoked).toBe(1);
    expect(re.invite_url).not.toBe(oldUrl);
    const token = (url: string): string => decodeURIComponent(url.split('#token=')[1] ?? '');
    const password = 'a long enough password';
    const old = await ts.fetch('/api/v1/auth/accept-invite', { as: null, method: 'POST', json: { token: token(oldUrl), password } });
    expect(old.status).toBe(401);
    const fresh = await ts.fetch('/api/v1/auth/accept-invite', { as: null, method: 'POST', json: { token: token(re.invite_url), password } });
    expect(fresh.status).toBe(200);
    const accepted = await call('POST', `/users/${user.id}/invite`);
    expect(accepted.status).toBe(409);
    expect((await call('POST', '/users/00000000-0000-7000-8000-000000000000/invite')).status).toBe(404);
  });
});
