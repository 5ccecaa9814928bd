// @vitest-environment node
/**
 * The incident write API end to end against Postgres: templates pre-fill, PATCH lands live in an
 * open y-websocket document, workflow refusals (409 naming the allowed statuses), SLA and breach
 * deadlines, custom field definitions (422 naming the field), related links in both documents,
 * the priority queue order, bad input and permissions (metrics: priority-metrics.pg.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentDetailResponse, incidentSummarySchema, timelineResponse } from '../../shared/api.ts';
import { addTimelineEntry, readMeta, readTasks, setCustomField, setFields } from '../../shared/incident-doc.ts';
import { priorityQueueResponse, templatesResponse } from '../../shared/incidents-api.ts';
import { newId } from '../../shared/ids.ts';
import { TEMPLATES } from '../../shared/templates.ts';
import { connectClient, startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

type Detail = ReturnType<typeof incidentDetailResponse.parse>;

async function call(method: string, path: string, json?: unknown, as?: TestIdentity): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await ts.fetch(`/api/v1${path}`, { method, json, ...(as ? { as } : {}) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function create(body: Record<string, unknown>, as?: TestIdentity): Promise<Detail> {
  const r = await call('POST', '/incidents', body, as);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return incidentDetailResponse.parse(r.body);
}

async function patch(id: string, body: unknown, as?: TestIdentity): Promise<{ status: number; body: Record<string, unknown> }> {
  return call('PATCH', `/incidents/${id}`, body, as);
}

const errorOf = (body: Record<string, unknown>) => body['error'] as { code: string; message: string; details?: Record<string, unknown> };

describe('create and patch', () => {
  it('creates from a template: category, severity, tags and the checklist pre-filled, a key assigned', async () => {
    const inc = await create({ template: 'ransomware', title: 'Files encrypted on FS01', affected_assets: ['FS01'] });
    expect(inc.category).toBe('ransomware');
    expect(inc.severity).toBe('S1');
    expect(inc.tags).toEqual(expect.arrayContaining(['ransomware', 'malware']));
    expect(inc.tasks.map((t) => t.title)).toEqual([...TEMPLATES.ransomware.tasks]);
    expect(inc.template_id).toBe('ransomware');
    expect(inc.affected_assets).toEqual(['fs01']);
    expect(inc.key).toMatch(/^IR-\d{4}-\d+$/);
    const meta = await ts.server.docs.withDoc(inc.id, (doc) => ({ meta: readMeta(doc), tasks: readTasks(doc) }));
    expect(meta.meta.templateId).toBe('ransomware');
    expect(meta.tasks).toHaveLength(TEMPLATES.ransomware.tasks.length);
    const templates = templatesResponse.parse((await call('GET', '/templates')).body);
    expect(templates.templates.map((t) => t.id)).toEqual(Object.keys(TEMPLATES));
  });

  it('a PATCH shows up live in an open y-websocket client of the document', async () => {
    const inc = await create({ title: 'Live patch', severity: 'S3' });
    const client = connectClient(ts.wsUrl, inc.id, { as: ts.admin });
    try {
      await client.synced();
      const r = await patch(inc.id, {
        title: 'Live patch (renamed)',
        severity: 'S2',
        assigned_to: 'alice',
        status: 'triage',
        tags: { add: ['vip'] },
        affected_assets: { add: ['db01'] },
        observables: { add: [{ kind: 'ip', value: '203.0.113.9' }] },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const body = incidentSummarySchema.parse(r.body);
      expect(body).toMatchObject({ title: 'Live patch (renamed)', severity: 'S2', assigned_to: 'alice', status: 'triage', affected_assets: ['db01'] });
      const seen = await waitFor(
        () => {
          const m = readMeta(client.doc);
          return m.title === 'Live patch (renamed)' && m.status === 'triage' && m.assignee === 'alice' && m.tags.includes('vip') ? m : null;
        },
        { message: 'the patch in the client document' },
      );
      expect(seen.severity).toBe('S2');
      expect(seen.observables).toEqual([{ kind: 'ip', value: '203.0.113.9' }]);
    } finally {
      client.destroy();
    }
  });

  it('refuses an invalid transition with 409 naming the allowed ones, and changes nothing', async () => {
    const inc = await create({ title: 'Workflow' });
    const r = await patch(inc.id, { status: 'recovery', title: 'should not be written' });
    expect(r.status).toBe(409);
    const e = errorOf(r.body);
    expect(e.code).toBe('conflict');
    expect(e.details?.['allowed']).toEqual(['triage', 'closed']);
    expect(e.message).toContain('allowed: triage, closed');
    const after = incidentDetailResponse.parse((await call('GET', `/incidents/${inc.id}`)).body);
    expect(after.title).toBe('Workflow');
    expect(after.status).toBe('new');
  });

  it('adds timeline events with an event time', async () => {
    const inc = await create({ title: 'Events' });
    const r = await call('POST', `/incidents/${inc.id}/events`, {
      kind: 'automation',
      text: 'EDR isolated host',
      at: '2026-01-01T10:00:00.000Z',
      data: { tool: 'edr' },
    });
    expect(r.status).toBe(201);
    const timeline = timelineResponse.parse((await call('GET', `/incidents/${inc.id}/timeline`)).body);
    const entry = timeline.items.find((e) => e.id === r.body['id']);
    expect(entry).toMatchObject({
      kind: 'automation',
      text: 'EDR isolated host',
      at: '2026-01-01T10:00:00.000Z',
      data: { tool: 'edr' },
      author: 'Administrator',
    });
  });

  it('refuses an event whose data does not fit its kind with 400 naming the field, and writes nothing', async () => {
    const inc = await create({ title: 'Typed events' });
    const before = timelineResponse.parse((await call('GET', `/incidents/${inc.id}/timeline`)).body).items.length;
    const r = await call('POST', `/incidents/${inc.id}/events`, { kind: 'alert', text: 'forged alert', data: { source: 'edr' } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/data\.alert_id/);
    expect(timelineResponse.parse((await call('GET', `/incidents/${inc.id}/timeline`)).body).items).toHaveLength(before);
  });
});

describe('SLA and breach', () => {
  it('computes the SLA deadlines per severity and the breach notification deadline per regulation', async () => {
    const inc = await create({ title: 'SLA', severity: 'S1' });
    const created = Date.parse(inc.created_at);
    expect(Date.parse(inc.sla.response_due) - created).toBe(15 * 60_000);
    expect(Date.parse(inc.sla.resolution_due) - created).toBe(4 * 3_600_000);
    expect(inc.sla.response_state).toBe('on_track');
    expect(inc.breach).toBeNull();

    const r = await patch(inc.id, { breach: { regulation: 'gdpr', aware_at: '2026-11-01T08:00:00.000Z' }, status: 'triage' });
    expect(r.status).toBe(200);
    const body = incidentSummarySchema.parse(r.body);
    expect(body.breach).toEqual({ regulation: 'gdpr', aware_at: '2026-11-01T08:00:00.000Z', notification_due: '2026-11-04T08:00:00.000Z' });
    expect(body.sla.response_state).toBe('met');
    const [row] = await ts.server.sql<{ breach_due: Date; response_due: Date }[]>`SELECT breach_due, response_due FROM incidents WHERE id = ${inc.id}`;
    expect(row?.breach_due.toISOString()).toBe('2026-11-04T08:00:00.000Z');

    const unknown = await patch(inc.id, { breach: { regulation: 'ccpa-ish', aware_at: '2026-11-01T08:00:00.000Z' } });
    expect(unknown.status).toBe(422);
    expect(errorOf(unknown.body).message).toContain('breach.regulation');
    const cleared = incidentSummarySchema.parse((await patch(inc.id, { breach: null })).body);
    expect(cleared.breach).toBeNull();
  });
});

describe('custom fields', () => {
  it('a lead defines fields per category; PATCH refuses values that do not fit with 422 naming the field', async () => {
    const lead = await ts.as('lead');
    const analyst = await ts.as('analyst');
    const fields = [
      { name: 'strain', type: 'select', options: ['lockbit', 'akira'], required: false },
      { name: 'ransom_btc', type: 'number', required: false },
    ];
    expect((await call('PUT', '/templates/ransomware/fields', { fields }, analyst)).status).toBe(403);
    // What the fields page sends when a row is wrong is refused whole, naming the row's field.
    const badDefs = await call(
      'PUT',
      '/templates/ransomware/fields',
      {
        fields: [
          { name: 'Bad Name', type: 'string' },
          { name: 'variant', type: 'select' },
        ],
      },
      lead,
    );
    expect(badDefs.status).toBe(400);
    expect(errorOf(badDefs.body).message).toMatch(/fields\.0\.name/);
    expect(errorOf(badDefs.body).message).toMatch(/fields\.1\.options/);
    expect((await call('GET', '/templates/ransomware/fields')).body['fields']).toEqual([]);
    const put = await call('PUT', '/templates/ransomware/fields', { fields }, lead);
    expect(put.status).toBe(200);
    const inc = await create({ template: 'ransomware', title: 'Custom fields' });
    const bad = await patch(inc.id, { custom_fields: { strain: 'conti' } });
    expect(bad.status).toBe(422);
    expect(errorOf(bad.body).details?.['field']).toBe('custom_fields.strain');
    const undefinedField = await patch(inc.id, { custom_fields: { colour: 'red' } });
    expect(undefinedField.status).toBe(422);
    expect(errorOf(undefinedField.body).message).toContain('colour');
    const good = incidentSummarySchema.parse((await patch(inc.id, { custom_fields: { strain: 'akira', ransom_btc: 2.5 } })).body);
    expect(good.custom_fields).toEqual({ strain: 'akira', ransom_btc: 2.5 });
    const listed = templatesResponse.parse((await call('GET', '/templates')).body);
    expect(listed.custom_fields['ransomware']?.map((f) => f.name)).toEqual(['strain', 'ransom_btc']);
  });
});

describe('related incidents', () => {
  it('links and unlinks in both documents (route and PATCH)', async () => {
    const a = await create({ title: 'Related A' });
    const b = await create({ title: 'Related B' });
    const c = await create({ title: 'Related C' });
    const r = await call('POST', `/incidents/${a.id}/related/${b.id}`);
    expect(r.status).toBe(200);
    expect(r.body['related_incidents']).toEqual([b.id]);
    expect(await ts.server.docs.withDoc(b.id, (doc) => readMeta(doc).relatedIncidents)).toEqual([a.id]);
    const viaPatch = incidentSummarySchema.parse((await patch(c.id, { related_incidents: { add: [a.id] } })).body);
    expect(viaPatch.related_incidents).toEqual([a.id]);
    const aNow = incidentDetailResponse.parse((await call('GET', `/incidents/${a.id}`)).body);
    expect([...aNow.related_incidents].sort()).toEqual([b.id, c.id].sort());
    expect((await call('DELETE', `/incidents/${b.id}/related/${a.id}`)).status).toBe(200);
    expect(await ts.server.docs.withDoc(a.id, (doc) => readMeta(doc).relatedIncidents)).toEqual([c.id]);
    const missing = await patch(a.id, { related_incidents: { add: [newId()] } });
    expect(missing.status).toBe(422);
    const self = await call('POST', `/incidents/${a.id}/related/${a.id}`);
    expect(self.status).toBe(422);
  });
});

describe('priority queue', () => {
  it('orders open incidents by priority with the explanation; closed ones leave the queue', async () => {
    const tag = `pq${Date.now()}`;
    const low = await create({ title: 'Low', severity: 'S4', tags: [tag] });
    const high = await create({ title: 'High', severity: 'S1', tags: [tag] });
    const mid = await create({ title: 'Mid', severity: 'S2', tags: [tag] });
    const closed = await create({ title: 'Closed', severity: 'S1', tags: [tag] });
    expect((await patch(closed.id, { status: 'closed', resolution: 'false_positive', closing_summary: 'Test alert, nothing happened' })).status).toBe(200);
    const q = priorityQueueResponse.parse((await call('GET', '/incidents/priority-queue?limit=500')).body);
    const ours = q.items.filter((i) => i.tags.includes(tag));
    expect(ours.map((i) => i.id)).toEqual([high.id, mid.id, low.id]);
    for (let i = 1; i < q.items.length; i++) expect(q.items[i - 1]!.priority_score).toBeGreaterThanOrEqual(q.items[i]!.priority_score);
    expect(ours[0]?.priority_explanation).toContain('severity S1');
    const listed = (await call('GET', `/incidents?q=${tag}&sort=priority_score&order=desc`)).body['items'] as { id: string }[];
    // The list sorts by the same score (closed incidents keep only their severity's points).
    expect(listed.map((i) => i.id)).toEqual([high.id, mid.id, closed.id, low.id]);
    const re = await call('POST', `/incidents/${low.id}/prioritize`);
    expect(re.status).toBe(200);
    expect(re.body['priority_score']).toBe(ours[2]?.priority_score);
  });
});

describe('bad input and permissions', () => {
  it('400 naming the field for malformed bodies', async () => {
    const inc = await create({ title: 'Bad input' });
    const sev = await patch(inc.id, { severity: 'S9' });
    expect(sev.status).toBe(400);
    expect(errorOf(sev.body).message).toContain('"severity"');
    const unknown = await patch(inc.id, { colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown.body).message).toContain('"colour"');
    expect((await patch(inc.id, {})).status).toBe(400);
    const noTitle = await call('POST', '/incidents', { template: 'ransomware' });
    expect(noTitle.status).toBe(400);
    expect(errorOf(noTitle.body).message).toContain('"title"');
    const badTemplate = await call('POST', '/incidents', { template: 'alien_invasion', title: 'x' });
    expect(errorOf(badTemplate.body).message).toContain('"template"');
    expect((await patch(newId(), { title: 'nobody' })).status).toBe(404);
  });

  it('refuses a lone surrogate or NUL anywhere in a body with 400 naming the field, and changes nothing', async () => {
    const inc = await create({ title: 'Unicode at the edge', assigned_to: 'alice' });
    const lone = await patch(inc.id, { assigned_to: 'mallory\ud800' });
    expect(lone.status).toBe(400);
    expect(errorOf(lone.body).code).toBe('bad_request');
    expect(errorOf(lone.body).message).toMatch(/^body field "assigned_to": contains a lone UTF-16 surrogate/);
    const nul = await patch(inc.id, { custom_fields: { note: 'a\u0000b' } });
    expect(errorOf(nul.body).message).toMatch(/^body field "custom_fields\.note": contains a NUL character/);
    const key = await patch(inc.id, { custom_fields: { ['x\udc00']: 1 } });
    expect(errorOf(key.body).message).toMatch(/^body field "custom_fields": a key contains a lone UTF-16 surrogate/);
    const created = await call('POST', '/incidents', { title: 'fine', observables: [{ kind: 'ip', value: '203.0.113.1', note: '\udfff' }] });
    expect(errorOf(created.body).message).toMatch(/^body field "observables\.0\.note": contains a lone/);
    // A surrogate pair is a character like any other.
    expect((await patch(inc.id, { title: 'Unicode at the edge \ud83d\ude00' })).status).toBe(200);
    expect(await ts.server.docs.withDoc(inc.id, (doc) => readMeta(doc).assignee)).toBe('alice');
    const after = incidentDetailResponse.parse((await call('GET', `/incidents/${inc.id}`)).body);
    expect(after.assigned_to).toBe('alice');
    expect(after.title).toBe('Unicode at the edge \u{1F600}');
  });

  it('a document holding lone surrogates still projects, and later PATCHes answer fresh data', async () => {
    const inc = await create({ title: 'Hostile peer' });
    // What a hostile device can write over sync: the edge never sees it.
    await ts.server.docs.withDoc(inc.id, (doc) => {
      setFields(doc, { assignee: 'eve\ud800', title: 'Hostile \udc00 peer' }, 'eve\udbff');
      setCustomField(doc, 'k\ud800', 'v\udc00');
      addTimelineEntry(doc, { id: 'e\ud800', kind: 'note', author: 'eve', text: 'one' });
      addTimelineEntry(doc, { id: 'e\udc00', kind: 'note', author: 'eve', text: 'two, whose id cleans to the same text' });
    });
    expect(await ts.server.projector.project(inc.id)).toBe('projected');
    const seen = incidentDetailResponse.parse((await call('GET', `/incidents/${inc.id}`)).body);
    expect(seen.assigned_to).toBe('eve\uFFFD');
    expect(seen.title).toBe('Hostile \uFFFD peer');
    expect(seen.custom_fields).toEqual({ 'k\uFFFD': 'v\uFFFD' });
    for (const [i, title] of ['Hostile peer, renamed', 'Hostile peer, renamed again'].entries()) {
      const r = await patch(inc.id, { title, assigned_to: `bob ${i}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ title, assigned_to: `bob ${i}` });
    }
  });

  it('a write whose projection fails answers 500 not_projected instead of the previous row', async () => {
    const inc = await create({ title: 'Projection will fail' });
    await ts.server.sql.unsafe(`CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.title = 'doomed' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await ts.server.sql.unsafe('CREATE TRIGGER refuse_doomed BEFORE UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION refuse_doomed()');
    try {
      const r = await patch(inc.id, { title: 'doomed' });
      expect(r.status).toBe(500);
      expect(errorOf(r.body).code).toBe('not_projected');
      expect(errorOf(r.body).message).toContain(inc.id);
    } finally {
      await ts.server.sql.unsafe('DROP TRIGGER refuse_doomed ON incidents; DROP FUNCTION refuse_doomed()');
    }
    const fixed = await patch(inc.id, { title: 'Projection works again' });
    expect(fixed.status).toBe(200);
    expect(fixed.body['title']).toBe('Projection works again');
  });

  it('viewers cannot write; guests reach only their incidents', async () => {
    const a = await create({ title: 'Guest A', severity: 'S1' });
    const b = await create({ title: 'Guest B', severity: 'S1' });
    const viewer = await ts.as('viewer');
    expect((await patch(a.id, { title: 'viewer was here' }, viewer)).status).toBe(403);
    expect((await call('POST', '/incidents', { title: 'viewer incident' }, viewer)).status).toBe(403);
    expect((await call('GET', `/incidents/${a.id}`, undefined, viewer)).status).toBe(200);
    const reader = await ts.as('guest', { grants: { [a.id]: 'read' } });
    expect((await patch(a.id, { title: 'reader was here' }, reader)).status).toBe(403);
    const writer = await ts.as('guest', { grants: { [a.id]: 'write' } });
    expect((await patch(a.id, { title: 'Guest A (edited by guest)' }, writer)).status).toBe(200);
    expect((await patch(b.id, { title: 'not yours' }, writer)).status).toBe(403);
    expect((await call('POST', `/incidents/${a.id}/related/${b.id}`, undefined, writer)).status).toBe(403);
    const q = priorityQueueResponse.parse((await call('GET', '/incidents/priority-queue', undefined, writer)).body);
    expect(q.items.map((i) => i.id)).toEqual([a.id]);
    expect((await call('GET', '/metrics', undefined, writer)).status).toBe(403);
    const after = incidentDetailResponse.parse((await call('GET', `/incidents/${b.id}`)).body);
    expect(after.title).toBe('Guest B');
  });
});
