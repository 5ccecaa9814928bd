// @vitest-environment node
/**
 * The post-incident review API against the real server (issue 12): review fields written through
 * the document (422 naming the field on a schema break, nothing written), permission before
 * existence, audit, a lead's sign-off, action items projected into rows and listed across
 * incidents with their filters, and the closing gate refusing and then allowing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { incidentDetailResponse, incidentSummarySchema } from '../../shared/api.ts';
import { readActionItems, readReview } from '../../shared/incident-doc.ts';
import { actionItemOut, actionItemsResponse, postMortemResponse, reviewGateResponse } from '../../shared/post-mortem-api.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { fakeContext, runAction } from '../playbooks/actions/fake-context.ts';
import { ACTIONS } from '../playbooks/actions/registry.ts';
import { ActionError } from '../playbooks/actions/types.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

type Body = Record<string, unknown>;
async function call(method: string, path: string, json?: unknown, as?: TestIdentity | null): Promise<{ status: number; body: Body }> {
  const r = await ts.fetch(`/api/v1${path}`, { method, json, ...(as !== undefined ? { as } : {}) });
  return { status: r.status, body: (await r.json()) as Body };
}
const errorOf = (body: Body) => body['error'] as { code: string; message: string; details?: Record<string, unknown> };

async function create(body: Body = {}): Promise<{ id: string; key: string | null }> {
  const r = await call('POST', '/incidents', { title: 'Review test', ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const d = incidentDetailResponse.parse(r.body);
  return { id: d.id, key: d.key };
}

async function audited(action: string, incidentId: string): Promise<number> {
  const rows = await ts.server.sql`SELECT 1 FROM audit_log WHERE action = ${action} AND incident_id = ${incidentId}`;
  return rows.length;
}

const filled = {
  summary: 'A phishing mail led to one compromised mailbox',
  impact: { what: 'One mailbox read for two hours', who: 'Finance', data: 'Invoices' },
  root_cause: 'No MFA on the legacy IMAP endpoint',
};

describe('the review', () => {
  it('writes review fields into the document, answers them, and audits the write', async () => {
    const { id } = await create();
    const r = await call('POST', `/incidents/${id}/post-mortem`, {
      ...filled,
      detection: { how: 'User report', late: true, late_why: 'No alert on IMAP logins' },
      five_whys: ['Why was the mailbox read?', 'Why did the password work?'],
      decisions: ['Disable IMAP'],
      lucky: 'The attacker did not pivot',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const pm = postMortemResponse.parse(r.body);
    expect(pm.review).toMatchObject({ summary: filled.summary, root_cause: filled.root_cause, detection: { late: true, late_why: 'No alert on IMAP logins' } });
    expect(pm.review.five_whys.map((w) => w.text)).toEqual(['Why was the mailbox read?', 'Why did the password work?']);
    expect(pm.missing).toEqual(['sign_off']);
    // Default S3: closing does not need the review.
    expect(pm.required_to_close).toBe(false);
    const review = await ts.server.docs.withDoc(id, (doc) => readReview(doc));
    expect(review.impact.who).toBe('Finance');
    expect(review.updatedBy).toBe(ts.admin.user.display_name);
    // A later write changes only what it names; a shorter list marks the rest deleted.
    const again = postMortemResponse.parse((await call('POST', `/incidents/${id}/post-mortem`, { five_whys: ['Why was the mailbox read?'] })).body);
    expect(again.review.summary).toBe(filled.summary);
    expect(again.review.five_whys).toHaveLength(1);
    expect((await ts.server.docs.withDoc(id, (doc) => readReview(doc))).fiveWhys.map((w) => w.deleted)).toEqual([false, true]);
    expect(postMortemResponse.parse((await call('GET', `/incidents/${id}/post-mortem`, undefined, await ts.as('viewer'))).body).review.lucky).toBe(
      'The attacker did not pivot',
    );
    expect(await audited('incident.post_mortem', id)).toBe(2);
  });

  it('refuses a body that breaks the schema with 422 naming the field, and writes nothing', async () => {
    const { id } = await create();
    const before = await ts.server.docs.withDoc(id, (doc) => Y.encodeStateVector(doc));
    const cases: [unknown, string][] = [
      [{ summary: 5 }, 'summary'],
      [{ summary: 'ok', root_cause: 'x'.repeat(20_001) }, 'root_cause'],
      [{ impact: { what: 'ok', how_much: 'a lot' } }, 'impact.how_much'],
      [{ detection: { late: 'yes' } }, 'detection.late'],
      [{ five_whys: ['ok', 7] }, 'five_whys.1'],
      [{ decisions: Array.from({ length: 51 }, () => 'd') }, 'decisions'],
      [{ verdict: 'guilty' }, 'verdict'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', `/incidents/${id}/post-mortem`, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(errorOf(r.body).details?.['field']).toBe(field);
      expect(errorOf(r.body).message).toContain(field.split('.').at(-1) ?? field);
    }
    const malformed = await ts.fetch(`/api/v1/incidents/${id}/post-mortem`, {
      method: 'POST',
      body: '{"summary":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect((await call('POST', '/incidents/not-a-uuid/post-mortem', { summary: 'x' })).status).toBe(400);
    expect(await ts.server.docs.withDoc(id, (doc) => Y.encodeStateVector(doc))).toEqual(before);
    expect(await audited('incident.post_mortem', id)).toBe(0);
  });

  it('checks permission before existence: a viewer or an uninvited guest gets 403 whether or not the incident exists', async () => {
    const { id } = await create();
    const viewer = await ts.as('viewer');
    const reader = await ts.as('guest', { grants: { [id]: 'read' } });
    const missing = '0190e5a0-0000-7000-8000-0000000000ff';
    expect((await call('POST', `/incidents/${id}/post-mortem`, { summary: 'x' }, viewer)).status).toBe(403);
    expect((await call('POST', `/incidents/${missing}/post-mortem`, { summary: 'x' }, viewer)).status).toBe(403);
    expect((await call('POST', `/incidents/${id}/post-mortem`, { summary: 'x' }, reader)).status).toBe(403);
    expect((await call('GET', `/incidents/${id}/post-mortem`, undefined, reader)).status).toBe(200);
    expect((await call('GET', `/incidents/${missing}/post-mortem`, undefined, reader)).status).toBe(403);
    expect((await call('GET', `/incidents/${missing}/post-mortem`)).status).toBe(404);
    expect((await call('POST', `/incidents/${missing}/post-mortem`, { summary: 'x' })).status).toBe(404);
    expect((await call('GET', `/incidents/${id}/post-mortem`, undefined, null)).status).toBe(401);
    const writer = await ts.as('guest', { grants: { [id]: 'write' } });
    expect((await call('POST', `/incidents/${id}/post-mortem`, { went_well: 'Counsel joined early' }, writer)).status).toBe(200);
  });

  it('is signed off by a lead once the required sections are filled, never by an analyst', async () => {
    const { id } = await create();
    const analyst = await ts.as('analyst');
    const lead = await ts.as('lead');
    const byAnalyst = await call('POST', `/incidents/${id}/post-mortem/sign-off`, undefined, analyst);
    expect(byAnalyst.status).toBe(403);
    expect(errorOf(byAnalyst.body).message).toContain('review:signoff');
    const early = await call('POST', `/incidents/${id}/post-mortem/sign-off`, undefined, lead);
    expect(early.status).toBe(409);
    expect(errorOf(early.body).details?.['missing']).toEqual(['summary', 'impact', 'root_cause']);
    expect((await call('POST', `/incidents/${id}/post-mortem`, filled, analyst)).status).toBe(200);
    const signed = await call('POST', `/incidents/${id}/post-mortem/sign-off`, undefined, lead);
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const pm = postMortemResponse.parse((await call('GET', `/incidents/${id}/post-mortem`)).body);
    expect(pm.review.signed_off_by).toBe(lead.user.display_name);
    expect(pm.missing).toEqual([]);
    expect(await audited('incident.post_mortem_sign_off', id)).toBe(1);
  });
});

describe('action items', () => {
  it('are written into the document, projected into rows with their incident, listed across incidents and filtered', async () => {
    const tag = `ai-${Date.now()}`;
    const a = await create({ title: `Mailbox ${tag}` });
    const b = await create({ title: `Ransomware ${tag}` });
    const add = async (incident: string, body: Body): Promise<ReturnType<typeof actionItemOut.parse>> => {
      const r = await call('POST', `/incidents/${incident}/action-items`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return actionItemOut.parse(r.body);
    };
    const owner = `Owner ${tag}`;
    const mfa = await add(a.id, { title: 'Enforce MFA on IMAP', owner, due: '2020-01-15', type: 'prevent' });
    const alert = await add(a.id, { title: 'Alert on IMAP logins', owner, due: '2999-01-01', type: 'detect' });
    const backups = await add(b.id, { title: 'Test restores monthly', owner, type: 'process', status: 'in_progress' });
    expect(mfa).toMatchObject({ incident_id: a.id, incident_title: `Mailbox ${tag}`, status: 'open', overdue: true });
    expect(mfa.incident_key).toMatch(/^IR-\d{4}-\d{4,}$/);
    expect(alert.overdue).toBe(false);
    expect(backups).toMatchObject({ incident_id: b.id, due: null, overdue: false, status: 'in_progress' });
    // In the document, and in the rows.
    expect((await ts.server.docs.withDoc(a.id, (doc) => readActionItems(doc))).map((i) => i.title)).toEqual(['Enforce MFA on IMAP', 'Alert on IMAP logins']);
    const rows = await ts.server.sql<
      { incident_id: string; title: string }[]
    >`SELECT incident_id::text, title FROM action_items WHERE owner = ${owner} ORDER BY title`;
    expect(rows.map((r) => [r.incident_id, r.title])).toEqual([
      [a.id, 'Alert on IMAP logins'],
      [a.id, 'Enforce MFA on IMAP'],
      [b.id, 'Test restores monthly'],
    ]);

    const list = async (q: string, as?: TestIdentity): Promise<string[]> => {
      const r = await call('GET', `/action-items?owner=${encodeURIComponent(owner)}${q}`, undefined, as);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return actionItemsResponse.parse(r.body).items.map((i) => i.title);
    };
    // Undated last.
    expect(await list('')).toEqual(['Enforce MFA on IMAP', 'Alert on IMAP logins', 'Test restores monthly']);
    expect(await list('&type=detect')).toEqual(['Alert on IMAP logins']);
    expect(await list('&status=in_progress')).toEqual(['Test restores monthly']);
    expect(await list('&due_before=2021-01-01')).toEqual(['Enforce MFA on IMAP']);
    expect(await list('&overdue=true')).toEqual(['Enforce MFA on IMAP']);
    expect(await list('&overdue=false')).toEqual(['Alert on IMAP logins', 'Test restores monthly']);
    expect(await list(`&incident_id=${b.id}`)).toEqual(['Test restores monthly']);
    expect(await list('&limit=1&offset=1')).toEqual(['Alert on IMAP logins']);
    const page = actionItemsResponse.parse((await call('GET', `/action-items?owner=${encodeURIComponent(owner)}&limit=1&offset=5`)).body);
    expect(page).toEqual({ items: [], total: 3 });
    // The post-mortem lists the incident's own.
    expect(postMortemResponse.parse((await call('GET', `/incidents/${a.id}/post-mortem`)).body).action_items.map((i) => i.id)).toEqual([mfa.id, alert.id]);

    // Done, then dropped: never removed, and no longer overdue.
    const done = await call('PATCH', `/action-items/${mfa.id}`, { status: 'done' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(actionItemOut.parse(done.body)).toMatchObject({ status: 'done', overdue: false, title: 'Enforce MFA on IMAP' });
    expect((await call('PATCH', `/action-items/${alert.id}`, { status: 'dropped', owner: null })).status).toBe(200);
    expect(await list('&overdue=true')).toEqual([]);
    expect(await list('&status=dropped')).toEqual([]); // its owner was cleared
    const dropped = actionItemsResponse.parse((await call('GET', `/action-items?status=dropped&incident_id=${a.id}`)).body).items;
    expect(dropped.map((i) => i.id)).toEqual([alert.id]);
    expect((await ts.server.docs.withDoc(a.id, (doc) => readActionItems(doc))).map((i) => i.status)).toEqual(['done', 'dropped']);
    expect(await audited('action_item.create', a.id)).toBe(2);
    expect(await audited('action_item.patch', a.id)).toBe(2);
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    const { id } = await create();
    for (const body of [
      { title: '', type: 'detect' },
      { title: 'x', type: 'hope' },
      { title: 'x', type: 'detect', due: '2026-02-30' },
      { title: 'x' },
      { title: 'x', type: 'detect', extra: 1 },
    ]) {
      expect((await call('POST', `/incidents/${id}/action-items`, body)).status, JSON.stringify(body)).toBe(400);
    }
    const item = actionItemOut.parse((await call('POST', `/incidents/${id}/action-items`, { title: 'Fine', type: 'respond' })).body);
    expect((await call('PATCH', `/action-items/${item.id}`, {})).status).toBe(400);
    expect((await call('PATCH', `/action-items/${item.id}`, { status: 'deleted' })).status).toBe(400);
    expect((await call('PATCH', '/action-items/nope', { status: 'done' })).status).toBe(400);
    for (const q of ['type=hope', 'overdue=maybe', 'due_before=tomorrow', 'due_before=0000-01-01', 'limit=0', 'colour=red']) {
      expect((await call('GET', `/action-items?${q}`)).status, q).toBe(400);
    }
    expect(await ts.server.docs.withDoc(id, (doc) => readActionItems(doc))).toEqual([expect.objectContaining({ title: 'Fine', status: 'open' })]);
  });

  it('checks permission before existence, and shows a guest only the items of its incidents', async () => {
    const a = await create();
    const b = await create();
    const itemA = actionItemOut.parse((await call('POST', `/incidents/${a.id}/action-items`, { title: 'A item', type: 'detect' })).body);
    const itemB = actionItemOut.parse((await call('POST', `/incidents/${b.id}/action-items`, { title: 'B item', type: 'detect' })).body);
    const viewer = await ts.as('viewer');
    const guest = await ts.as('guest', { grants: { [a.id]: 'write' } });
    const nowhere = '0190e5a0-0000-7000-8000-0000000000fe';
    expect((await call('PATCH', `/action-items/${itemA.id}`, { status: 'done' }, viewer)).status).toBe(403);
    expect((await call('PATCH', `/action-items/${nowhere}`, { status: 'done' }, viewer)).status).toBe(403);
    expect((await call('PATCH', `/action-items/${itemB.id}`, { status: 'done' }, guest)).status).toBe(403);
    expect((await call('PATCH', `/action-items/${nowhere}`, { status: 'done' }, guest)).status).toBe(403);
    expect((await call('PATCH', `/action-items/${nowhere}`, { status: 'done' })).status).toBe(404);
    expect((await call('POST', `/incidents/${b.id}/action-items`, { title: 'sneaky', type: 'detect' }, guest)).status).toBe(403);
    expect((await call('PATCH', `/action-items/${itemA.id}`, { status: 'in_progress' }, guest)).status).toBe(200);
    const seen = actionItemsResponse.parse((await call('GET', '/action-items', undefined, guest)).body).items.map((i) => i.id);
    expect(seen).toEqual([itemA.id]);
    expect((await call('GET', '/action-items', undefined, null)).status).toBe(401);
    expect(actionItemsResponse.parse((await call('GET', `/action-items?incident_id=${b.id}`, undefined, viewer)).body).items.map((i) => i.id)).toEqual([
      itemB.id,
    ]);
  });
});

describe('the closing gate', () => {
  const close = { status: 'closed', resolution: 'true_positive', closing_summary: 'Mailbox secured, MFA enforced' };

  it('refuses to close an S1 true positive until the review is completed and signed off, naming what is missing; reopening keeps the review', async () => {
    const { id } = await create({ severity: 'S1', category: 'phishing' });
    const refused = await call('PATCH', `/incidents/${id}`, close);
    expect(refused.status).toBe(409);
    expect(errorOf(refused.body).details).toMatchObject({ field: 'review', missing: ['summary', 'impact', 'root_cause', 'sign_off'] });
    expect(errorOf(refused.body).message).toContain('missing summary, impact, root_cause, sign_off');
    expect(postMortemResponse.parse((await call('GET', `/incidents/${id}/post-mortem`)).body).required_to_close).toBe(true);
    expect((await call('POST', `/incidents/${id}/post-mortem`, filled)).status).toBe(200);
    const unsigned = await call('PATCH', `/incidents/${id}`, close);
    expect(unsigned.status).toBe(409);
    expect(errorOf(unsigned.body).details?.['missing']).toEqual(['sign_off']);
    expect(incidentDetailResponse.parse((await call('GET', `/incidents/${id}`)).body).status).toBe('new');
    expect((await call('POST', `/incidents/${id}/post-mortem/sign-off`, undefined, await ts.as('lead'))).status).toBe(200);
    const closed = await call('PATCH', `/incidents/${id}`, close);
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(incidentSummarySchema.parse(closed.body).status).toBe('closed');
    expect((await call('PATCH', `/incidents/${id}`, { status: 'triage', status_reason: 'new evidence' })).status).toBe(200);
    const kept = postMortemResponse.parse((await call('GET', `/incidents/${id}/post-mortem`)).body);
    expect(kept.review.summary).toBe(filled.summary);
    expect(kept.missing).toEqual([]);
  });

  it('lets a false positive or an S3 close without a review, and follows the category setting a lead changes', async () => {
    const fp = await create({ severity: 'S2' });
    expect((await call('PATCH', `/incidents/${fp.id}`, { status: 'closed', resolution: 'false_positive', closing_summary: 'Test mail' })).status).toBe(200);
    const s3 = await create({ severity: 'S3' });
    expect((await call('PATCH', `/incidents/${s3.id}`, close)).status).toBe(200);

    const settings = reviewGateResponse.parse((await call('GET', '/settings/review-gate', undefined, await ts.as('viewer'))).body);
    expect(settings.items.find((i) => i.category === 'ddos')).toEqual({ category: 'ddos', severities: ['S1', 'S2'], default: true });
    expect((await call('PUT', '/settings/review-gate/ddos', { severities: [] }, await ts.as('analyst'))).status).toBe(403);
    expect((await call('PUT', '/settings/review-gate/ddos', { severities: ['S9'] })).status).toBe(400);
    expect((await call('PUT', '/settings/review-gate/nothing', { severities: [] })).status).toBe(400);
    const off = await call('PUT', '/settings/review-gate/ddos', { severities: [] }, await ts.as('lead'));
    expect(off.status).toBe(200);
    expect(reviewGateResponse.parse(off.body).items.find((i) => i.category === 'ddos')).toEqual({ category: 'ddos', severities: [], default: false });
    const ddos = await create({ severity: 'S1', category: 'ddos' });
    expect((await call('PATCH', `/incidents/${ddos.id}`, close)).status).toBe(200);
    // Turned on for S3 in another category: an S3 there is gated.
    expect((await call('PUT', '/settings/review-gate/insider', { severities: ['S3', 'S1'] })).status).toBe(200);
    const insider = await create({ severity: 'S3', category: 'insider' });
    expect((await call('PATCH', `/incidents/${insider.id}`, close)).status).toBe(409);
    // Moving it to a category without the gate in the same request is judged by the new category.
    expect((await call('PATCH', `/incidents/${insider.id}`, { ...close, category: 'ddos' })).status).toBe(200);
    const rows = await ts.server.sql`SELECT 1 FROM audit_log WHERE action = 'settings.review_gate'`;
    expect(rows.length).toBe(2);
  });

  it('refuses a playbook closing the same way (the shared check), dry run included, and closes once the review is complete', async () => {
    const { id } = await create({ severity: 'S2', category: 'malware' });
    const setStatus = (dryRun: boolean) =>
      runAction(
        ACTIONS,
        'incident.set_status',
        { status: 'closed', resolution: 'true_positive', closing_summary: 'Reimaged' },
        fakeContext({ incidentId: id, idempotencyKey: `run:${Math.random()}:null`, dryRun, services: { docs: ts.server.docs, sql: ts.server.sql } }),
      );
    for (const dryRun of [true, false]) {
      const e = await setStatus(dryRun).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(ActionError);
      expect((e as ActionError).message).toContain('missing summary, impact, root_cause, sign_off');
      expect((e as ActionError).details).toMatchObject({ field: 'review', missing: ['summary', 'impact', 'root_cause', 'sign_off'] });
    }
    expect((await call('POST', `/incidents/${id}/post-mortem`, filled)).status).toBe(200);
    expect((await call('POST', `/incidents/${id}/post-mortem/sign-off`)).status).toBe(200);
    expect(await setStatus(false)).toMatchObject({ to: 'closed', changed: true });
  });
});
