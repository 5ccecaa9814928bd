// @vitest-environment node
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobReader, BlobWriter, TextWriter, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceItem, EvidenceUpload } from '../../shared/evidence-api.ts';
import { readTimeline } from '../../shared/incident-doc.ts';
import { canonicalJson, sha256Hex } from '../audit/audit-log.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { keyringOf, parseKey, rewrapDataKeys } from './keys.ts';

const KEY = randomBytes(32).toString('base64');
let db: TestDatabase;
let dataDir: string;
let ts: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'evidence-pg-'));
  ts = await startTestServer({ db, dataDir, evidence: { key: KEY, quotaIncidentBytes: 40 * 1024 * 1024 } });
});
afterAll(async () => {
  await ts.stop();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function incident(title = 'evidence case', category = 'malware'): Promise<string> {
  const r = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title, category } });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

function meta(data: Uint8Array, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'malware_sample',
    file_name: 'dropper.exe',
    description: 'from the mail gateway',
    tags: ['phishing'],
    collected_at: '2026-11-20T10:00:00.000Z',
    collected_where: 'HQ, room 2',
    source_host: 'ws-042',
    size: data.length,
    sha256: sha(data),
    upload_key: `capture-${randomUUID()}`,
    ...over,
  };
}

async function put(uploadId: string, offset: number, bytes: Uint8Array, as?: TestIdentity): Promise<Response> {
  return ts.fetch(`/api/v1/evidence-uploads/${uploadId}?offset=${offset}`, {
    method: 'PUT',
    body: new Uint8Array(bytes),
    headers: { 'content-type': 'application/octet-stream' },
    as,
  });
}

async function upload(incidentId: string, data: Uint8Array, over: Record<string, unknown> = {}, chunk = 700_000): Promise<EvidenceItem> {
  const r = await ts.fetch(`/api/v1/incidents/${incidentId}/evidence`, { method: 'POST', json: meta(data, over) });
  expect(r.status).toBe(201);
  const up = (await r.json()) as EvidenceUpload;
  for (let at = 0; at < data.length; at += chunk) expect((await put(up.id, at, data.subarray(at, at + chunk))).status).toBe(200);
  const done = await ts.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' });
  expect(done.status).toBe(201);
  return (await done.json()) as EvidenceItem;
}

const contentUrl = (inc: string, id: string, reason = 'malware analysis'): string =>
  `/api/v1/incidents/${inc}/evidence/${id}/content?reason=${encodeURIComponent(reason)}`;

async function errorOf(r: Response): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  return ((await r.json()) as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

describe('evidence locker', () => {
  it('EV11, EV14: uploads in chunks and downloads the same bytes and hash, as an attachment, with custody and a timeline entry', async () => {
    const inc = await incident();
    const data = Buffer.concat([Buffer.from('MZ-PLAINTEXT-MARKER '), randomBytes(2_500_000)]);
    const item = await upload(inc, data);
    expect(item).toMatchObject({
      incident_id: inc,
      size: data.length,
      sha256: sha(data),
      md5: createHash('md5').update(data).digest('hex'),
      sha1: createHash('sha1').update(data).digest('hex'),
      source_host: 'ws-042',
    });
    expect(item.timeline_entry_id).not.toBeNull();
    expect(item.collected_by).toBe(item.uploaded_by);

    const r = await ts.fetch(contentUrl(inc, item.id), { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="dropper.exe"/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const got = Buffer.from(await r.arrayBuffer());
    expect(sha(got)).toBe(sha(data));

    const entry = await ts.server.docs.withDoc(inc, (doc) => readTimeline(doc).find((e) => e.id === item.timeline_entry_id));
    expect(entry).toMatchObject({ kind: 'evidence', data: { evidence_id: item.id, sha256: item.sha256, type: 'malware_sample', size: data.length } });

    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}`)).status).toBe(200);
    const custody = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}/custody`)).json()) as {
      items: { action: string; reason: string; actor: string; from: string | null }[];
      verified: boolean;
    };
    expect(custody.verified).toBe(true);
    expect(custody.items.map((e) => e.action)).toEqual(['upload', 'download', 'view']);
    expect(custody.items[1]).toMatchObject({ reason: 'malware analysis', actor: item.uploaded_by });
    expect(custody.items[1]?.from).toMatch(/127\.0\.0\.1$/);

    const list = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`)).json()) as { items: EvidenceItem[]; usage: { incident_bytes: number } };
    expect(list.items.map((i) => i.id)).toEqual([item.id]);
    expect(list.usage.incident_bytes).toBe(data.length);
  });

  it('links the timeline entries named at capture to the item, in the document and in GET …/timeline', async () => {
    const inc = await incident();
    const ev = await ts.fetch(`/api/v1/incidents/${inc}/events`, {
      method: 'POST',
      json: { kind: 'note', text: 'beaconing from ws-042 seen in the proxy log' },
    });
    expect(ev.status).toBe(201);
    const noteId = ((await ev.json()) as { id: string }).id;
    const item = await upload(inc, randomBytes(1_000), { linked_entries: [noteId, 'no-such-entry'], file_name: 'proxy.log', type: 'log' });
    expect(item.linked_entries).toEqual([noteId, 'no-such-entry']);
    const note = await ts.server.docs.withDoc(inc, (doc) => readTimeline(doc).find((e) => e.id === noteId));
    expect(note?.evidence).toEqual([item.id]);
    const added = await ts.server.docs.withDoc(inc, (doc) => readTimeline(doc).find((e) => e.id === item.timeline_entry_id));
    expect(added?.data).toMatchObject({ evidence_id: item.id, file_name: 'proxy.log' });
    await expect
      .poll(
        async () =>
          ((await (await ts.fetch(`/api/v1/incidents/${inc}/timeline`)).json()) as { items: { id: string; evidence: string[] }[] }).items.find(
            (e) => e.id === noteId,
          )?.evidence,
        { timeout: 5_000 },
      )
      .toEqual([item.id]);
  });

  it('EV7: stores nothing readable on disk', async () => {
    const inc = await incident();
    const data = Buffer.alloc(3_000_000, 'TOP-SECRET-EVIDENCE ');
    const r = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: meta(data) });
    const up = (await r.json()) as EvidenceUpload;
    await put(up.id, 0, data.subarray(0, 1_500_000));
    const scan = async (): Promise<void> => {
      for (const f of await allFiles(dataDir)) expect((await readFile(f)).includes('TOP-SECRET-EVIDENCE'), f).toBe(false);
    };
    await scan();
    await put(up.id, 1_500_000, data.subarray(1_500_000));
    expect((await ts.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' })).status).toBe(201);
    await scan();
  });

  it('EV3: refuses a corrupted upload with 422 and discards it', async () => {
    const inc = await incident();
    const data = randomBytes(100_000);
    const r = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: meta(data) });
    const up = (await r.json()) as EvidenceUpload;
    const corrupted = Buffer.from(data);
    corrupted[5_000] = (corrupted[5_000] ?? 0) ^ 0xff;
    expect((await put(up.id, 0, corrupted)).status).toBe(200);
    const done = await ts.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' });
    expect(done.status).toBe(422);
    expect((await errorOf(done)).details).toMatchObject({ reason: 'hash_mismatch', expected: sha(data), computed: sha(corrupted) });
    expect((await ts.fetch(`/api/v1/evidence-uploads/${up.id}`)).status).toBe(404);
    const list = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`)).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it('EV1, EV2: resumes: a wrong offset answers 409 with the offset, a repeated upload_key the same upload, a chunk past the size 413', async () => {
    const inc = await incident();
    const data = randomBytes(1_200_000);
    const body = meta(data);
    const up = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: body })).json()) as EvidenceUpload;
    expect((await put(up.id, 0, data.subarray(0, 400_000))).status).toBe(200);
    const conflict = await put(up.id, 0, data.subarray(0, 400_000));
    expect(conflict.status).toBe(409);
    expect((await errorOf(conflict)).details).toMatchObject({ offset: 400_000 });
    // Another analyst on the incident cannot add bytes to, complete or abandon this capture.
    const other = await ts.as('analyst');
    expect((await put(up.id, 400_000, data.subarray(400_000, 500_000), other)).status).toBe(404);
    expect((await ts.fetch(`/api/v1/evidence-uploads/${up.id}`, { method: 'DELETE', as: other })).status).toBe(404);
    const again = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: body });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: up.id, offset: 400_000, state: 'open' });
    expect((await put(up.id, 400_000, randomBytes(900_000))).status).toBe(413);
    expect((await ts.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' })).status).toBe(409);
    expect((await put(up.id, 400_000, data.subarray(400_000))).status).toBe(200);
    expect((await ts.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' })).status).toBe(201);
  });

  it('EV5: removes an upload left idle past its time (partial file and quota), and the device starts again with the same key', async () => {
    const inc = await incident();
    const data = randomBytes(900_000);
    const body = meta(data);
    const usedBefore = async (): Promise<number> =>
      ((await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`)).json()) as { usage: { incident_bytes: number } }).usage.incident_bytes;
    const idle = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: body })).json()) as EvidenceUpload;
    expect((await put(idle.id, 0, data.subarray(0, 300_000))).status).toBe(200);
    const fresh = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: meta(randomBytes(10)) })).json()) as EvidenceUpload;
    expect(await usedBefore()).toBe(data.length + 10);
    const partsBefore = (await allFiles(join(dataDir, 'evidence', 'uploads'))).filter((f) => f.includes(idle.id));
    expect(partsBefore.length).toBeGreaterThan(0);

    // Eight days without a byte: the sweep takes it; the one touched just now stays.
    await ts.server.sql`UPDATE evidence_uploads SET touched_at = now() - interval '8 days' WHERE id = ${idle.id}`;
    expect(await ts.server.evidence.expireIdleUploads(7 * 24 * 3_600_000)).toBe(1);
    expect((await ts.fetch(`/api/v1/evidence-uploads/${idle.id}`)).status).toBe(404);
    expect((await ts.fetch(`/api/v1/evidence-uploads/${fresh.id}`)).status).toBe(200);
    expect(await usedBefore()).toBe(10);
    expect((await allFiles(join(dataDir, 'evidence', 'uploads'))).filter((f) => f.includes(idle.id))).toEqual([]);

    // The device, which kept the file, asks again with the same upload_key and sends it all.
    const again = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: body });
    expect(again.status).toBe(201);
    const up = (await again.json()) as EvidenceUpload;
    expect(up).toMatchObject({ offset: 0, state: 'open' });
    expect((await put(up.id, 0, data)).status).toBe(200);
    const done = await ts.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' });
    expect(done.status).toBe(201);
    expect(await done.json()).toMatchObject({ sha256: sha(data) });
  });

  it('EV6: lets one server process at a time write to an upload: another process answers 409 busy until the first is done', async () => {
    const inc = await incident();
    const data = randomBytes(600_000);
    const up = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: meta(data) })).json()) as EvidenceUpload;
    const other = await startTestServer({ db, dataDir, evidence: { key: KEY, quotaIncidentBytes: 40 * 1024 * 1024 } });
    try {
      let release = (): void => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(data.subarray(0, 100_000));
          await held;
          controller.enqueue(data.subarray(100_000));
          controller.close();
        },
      });
      const slow = ts.fetch(`/api/v1/evidence-uploads/${up.id}?offset=0`, {
        method: 'PUT',
        body,
        duplex: 'half',
        headers: { 'content-type': 'application/octet-stream' },
      } as RequestInit);
      const leaseOf = async (): Promise<Date | null> =>
        (await db.sql<{ lease_until: Date | null }[]>`SELECT lease_until FROM evidence_uploads WHERE id = ${up.id}`)[0]?.lease_until ?? null;
      await expect.poll(leaseOf, { timeout: 5_000 }).not.toBeNull();
      const blocked = await other.fetch(`/api/v1/evidence-uploads/${up.id}?offset=0`, {
        method: 'PUT',
        body: new Uint8Array(data),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(blocked.status).toBe(409);
      expect(await errorOf(blocked)).toMatchObject({ code: 'conflict', details: { busy: true } });
      release();
      const done = await slow;
      expect(done.status).toBe(200);
      expect(await done.json()).toMatchObject({ offset: data.length });
      expect(await leaseOf()).toBeNull();
      // Now the other process may finish it.
      const completed = await other.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST' });
      expect(completed.status).toBe(201);
      expect(await completed.json()).toMatchObject({ sha256: sha(data) });
    } finally {
      await other.server.close();
    }
  });

  it('EV4, EV13: stores identical content once, and a deletion keeps the blob another item uses', async () => {
    const inc = await incident('dedup', 'phishing');
    const data = randomBytes(300_000);
    expect((await ts.fetch('/api/v1/evidence-retention', { method: 'PUT', json: { days: { phishing: 0 }, default_days: 365 } })).status).toBe(200);
    const a = await upload(inc, data, { file_name: 'a.eml', type: 'email' });
    const b = await upload(inc, data, { file_name: 'b.eml', type: 'email' });
    const [blobs] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM evidence_blobs WHERE sha256 = ${sha(data)}`;
    expect(blobs?.n).toBe(1);
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${a.id}`, { method: 'DELETE', json: { reason: 'duplicate' } })).status).toBe(200);
    const r = await ts.fetch(contentUrl(inc, b.id));
    expect(sha(Buffer.from(await r.arrayBuffer()))).toBe(sha(data));
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${b.id}`, { method: 'DELETE', json: { reason: 'case closed' } })).status).toBe(200);
    const [gone] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM evidence_blobs WHERE sha256 = ${sha(data)}`;
    expect(gone?.n).toBe(0);
    const tomb = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence/${b.id}`)).json()) as EvidenceItem;
    expect(tomb.deleted_at).not.toBeNull();
    expect(tomb.sha256).toBe(sha(data));
  });

  it('EV10, EV12, EV13: refuses deletion before retention, by a non-admin, and under legal hold', async () => {
    const inc = await incident('retained', 'ransomware');
    const item = await upload(inc, randomBytes(10_000));
    const early = await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}`, { method: 'DELETE', json: { reason: 'cleanup' } });
    expect(early.status).toBe(409);
    expect((await errorOf(early)).message).toContain('retained until');
    const lead = await ts.as('lead');
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}`, { method: 'DELETE', json: { reason: 'cleanup' }, as: lead })).status).toBe(403);
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}`, { method: 'DELETE', json: {} })).status).toBe(400);

    // Shortening the retention later never frees what was stored under the longer one.
    const before = (await (await ts.fetch('/api/v1/evidence-retention')).json()) as unknown;
    const changed = await ts.fetch('/api/v1/evidence-retention', { method: 'PUT', json: { days: { ransomware: 0 }, default_days: 365 } });
    expect(changed.status).toBe(200);
    const after = (await changed.json()) as unknown;
    // The change is audited, its digest binding the settings before and after.
    const [audited] = await db.sql<{ actor_id: string; target_id: string; digest: string }[]>`
      SELECT actor_id, target_id, digest FROM audit_log WHERE action = 'evidence.retention.update' ORDER BY seq DESC LIMIT 1`;
    expect(audited).toEqual({ actor_id: ts.admin.user.id, target_id: 'retention', digest: sha256Hex(canonicalJson({ before, after })) });
    const stillEarly = await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}`, { method: 'DELETE', json: { reason: 'cleanup' } });
    expect(stillEarly.status).toBe(409);
    expect((await errorOf(stillEarly)).message).toContain('retained until');
    // Stored under a retention of 0 days: deletable, but not under a legal hold.
    const later = await upload(inc, randomBytes(10_000));
    expect((await ts.fetch(`/api/v1/incidents/${inc}/legal-hold`, { method: 'PUT', json: { reason: 'litigation' }, as: lead })).status).toBe(200);
    const held = await ts.fetch(`/api/v1/incidents/${inc}/evidence/${later.id}`, { method: 'DELETE', json: { reason: 'cleanup' } });
    expect(held.status).toBe(409);
    expect((await errorOf(held)).message).toContain('legal hold');
    expect((await ts.fetch(`/api/v1/incidents/${inc}/legal-hold`, { method: 'DELETE', json: { reason: 'settled' }, as: lead })).status).toBe(200);
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${later.id}`, { method: 'DELETE', json: { reason: 'cleanup' } })).status).toBe(200);
    const actions = (await db.sql<{ action: string }[]>`SELECT action FROM evidence_custody WHERE incident_id = ${inc} ORDER BY seq`).map((r) => r.action);
    expect(actions).toEqual(['upload', 'upload', 'hold', 'release', 'delete']);
    await expect(db.sql`DELETE FROM evidence_items WHERE id = ${item.id}`).rejects.toThrow(/never deleted/);
    await expect(db.sql`TRUNCATE evidence_items`).rejects.toThrow(/never deleted/);
    await expect(db.sql`UPDATE evidence_items SET sha256 = ${'0'.repeat(64)} WHERE id = ${item.id}`).rejects.toThrow(/write once/);
  });

  it('ID2: lets a guest download only with the evidence grant, and checks permission before existence', async () => {
    const inc = await incident();
    const item = await upload(inc, randomBytes(5_000));
    const reader = await ts.as('guest', { grants: { [inc]: 'read' } });
    expect((await ts.fetch(contentUrl(inc, item.id), { as: reader })).status).toBe(403);
    expect((await ts.fetch(contentUrl(inc, randomUUID()), { as: reader })).status).toBe(403);
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}`, { as: reader })).status).toBe(200);
    const granted = await ts.as('guest', { grants: { [inc]: 'read' } });
    await db.sql`UPDATE guest_grants SET evidence_download = true WHERE user_id = ${granted.user.id}`;
    expect((await ts.fetch(contentUrl(inc, item.id), { as: granted })).status).toBe(200);
    const missingReason = await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}/content`);
    expect(missingReason.status).toBe(400);
    expect((await errorOf(missingReason)).message).toContain('"reason"');
  });

  it('EV7, EV10, EV11, EV14: detects a tampered stored file (verify, and the download fails) and a tampered custody row', async () => {
    const inc = await incident();
    const data = randomBytes(2_300_000);
    const item = await upload(inc, data);
    const [blob] = await db.sql<{ file_id: string }[]>`SELECT file_id::text FROM evidence_blobs WHERE sha256 = ${item.sha256}`;
    const path = join(dataDir, 'evidence', 'blobs', blob?.file_id ?? '');
    expect(await (await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}/verify`, { method: 'POST' })).json()).toEqual({ verified: true, problem: null });
    const bytes = await readFile(path);
    bytes[1_500_000] = (bytes[1_500_000] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const v = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}/verify`, { method: 'POST' })).json()) as {
      verified: boolean;
      problem: string;
    };
    expect(v.verified).toBe(false);
    expect(v.problem).toContain('segment 1');
    const r = await ts.fetch(contentUrl(inc, item.id));
    await expect(r.arrayBuffer()).rejects.toThrow();

    await expect(db.sql`UPDATE evidence_custody SET reason = 'nothing to see' WHERE evidence_id = ${item.id}`).rejects.toThrow(/append-only/);
    await db.sql`ALTER TABLE evidence_custody DISABLE TRIGGER evidence_custody_no_update`;
    const [row] = await db.sql<
      { seq: number }[]
    >`UPDATE evidence_custody SET reason = 'nothing to see' WHERE evidence_id = ${item.id} AND action = 'download' RETURNING seq`;
    await db.sql`ALTER TABLE evidence_custody ENABLE TRIGGER evidence_custody_no_update`;
    const custody = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence/${item.id}/custody`)).json()) as { verified: boolean; problem: string };
    expect(custody.verified).toBe(false);
    expect(custody.problem).toBe(`custody entry ${row?.seq}: hash mismatch: the entry was altered`);
  });
});

describe('evidence locker, with its own server', () => {
  it('EV5: enforces the incident quota with a 413 naming it, and takes a small file as multipart', async () => {
    const inc = await incident();
    const r = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, {
      method: 'POST',
      json: meta(Buffer.alloc(0), { size: 41 * 1024 * 1024, sha256: 'a'.repeat(64) }),
    });
    expect(r.status).toBe(413);
    const e = await errorOf(r);
    expect(e.details).toMatchObject({ quota: 'incident' });
    expect(e.message).toContain('EVIDENCE_QUOTA_INCIDENT_BYTES');

    const data = Buffer.from('a small screenshot');
    const form = new FormData();
    form.set('metadata', JSON.stringify(meta(data, { type: 'screenshot', file_name: 'shot.png' })));
    form.set('file', new Blob([data]), 'shot.png');
    const m = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', body: form, headers: { origin: ts.server.url } });
    expect(m.status).toBe(201);
    expect(await m.json()).toMatchObject({ sha256: sha(data), type: 'screenshot' });
    const crossSite = new FormData();
    crossSite.set('metadata', JSON.stringify(meta(data)));
    crossSite.set('file', new Blob([data]), 'x');
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', body: crossSite, headers: { origin: 'https://evil.example' } })).status).toBe(
      403,
    );
  });

  it('refuses a multipart body that does not parse with a 400 naming the body', async () => {
    const inc = await incident();
    for (const type of ['multipart/form-data; boundary=x', 'multipart/form-data']) {
      const r = await ts.fetch(`/api/v1/incidents/${inc}/evidence`, {
        method: 'POST',
        body: 'a=b&c=d',
        headers: { 'content-type': type, origin: ts.server.url },
      });
      expect(r.status, type).toBe(400);
      expect((await errorOf(r)).message).toContain('body: not valid multipart/form-data');
    }
  });

  it('EV14, EV15: serves a malware sample in a zip with the password "infected", and exports a zip with a verifiable manifest', async () => {
    const inc = await incident();
    const data = randomBytes(1_100_000);
    const item = await upload(inc, data, { file_name: 'evil/../sample.bin' });
    const z = await ts.fetch(`${contentUrl(inc, item.id)}&zip=infected`);
    expect(z.status).toBe(200);
    const reader = new ZipReader(new BlobReader(await z.blob()));
    const [entry] = await reader.getEntries();
    expect(entry?.encrypted).toBe(true);
    if (!entry || entry.directory) throw new Error('no file in the zip');
    await expect(entry.getData(new Uint8ArrayWriter())).rejects.toThrow();
    expect(sha(await entry.getData(new Uint8ArrayWriter(), { password: 'infected' }))).toBe(sha(data));

    const analyst = await ts.as('analyst');
    expect((await ts.fetch(`/api/v1/incidents/${inc}/evidence/export`, { method: 'POST', json: { reason: 'court order 42' }, as: analyst })).status).toBe(403);
    const ex = await ts.fetch(`/api/v1/incidents/${inc}/evidence/export`, { method: 'POST', json: { reason: 'court order 42' } });
    expect(ex.status).toBe(200);
    const entries = await new ZipReader(new BlobReader(await ex.blob())).getEntries();
    const byName = new Map(entries.map((e) => [e.filename, e]));
    const text = async (name: string): Promise<string> => {
      const e = byName.get(name);
      if (!e || e.directory) throw new Error(`no ${name}`);
      return e.getData(new TextWriter());
    };
    const manifest = await text('manifest.json');
    expect(await text('manifest.sha256')).toBe(`${sha(Buffer.from(manifest))}  manifest.json\n`);
    const parsed = JSON.parse(manifest) as { items: { id: string; sha256: string; path: string }[]; reason: string };
    expect(parsed.reason).toBe('court order 42');
    expect(parsed.items.map((i) => i.id)).toEqual([item.id]);
    const fileEntry = byName.get(parsed.items[0]?.path ?? '');
    if (!fileEntry || fileEntry.directory) throw new Error('the file is not in the export');
    // The sample is inside its own "infected" zip: nothing live when the export is unpacked.
    expect(fileEntry.filename).toBe(`files/${item.sha256}-evil_.._sample.bin.zip`);
    const [inner] = await new ZipReader(new BlobReader(await fileEntry.getData(new BlobWriter()))).getEntries();
    if (!inner || inner.directory) throw new Error('no sample inside its zip');
    expect(inner.encrypted).toBe(true);
    await expect(inner.getData(new Uint8ArrayWriter())).rejects.toThrow();
    expect(sha(await inner.getData(new Uint8ArrayWriter(), { password: 'infected' }))).toBe(sha(data));
    const custody = JSON.parse(await text('custody.json')) as { verified: boolean; items: { action: string }[] };
    expect(custody.items.map((e) => e.action)).toEqual(['upload', 'download', 'export']);
  });

  it('EV3, EV9: completes after a restart (hashes recomputed from the stored chunks) and after a master key rotation', async () => {
    const inc = await incident();
    const data = randomBytes(2_200_000);
    const up = (await (await ts.fetch(`/api/v1/incidents/${inc}/evidence`, { method: 'POST', json: meta(data) })).json()) as EvidenceUpload;
    expect((await put(up.id, 0, data.subarray(0, 1_300_000))).status).toBe(200);

    // Another process on the same database and data folder knows no running hashes.
    const newKey = randomBytes(32).toString('base64');
    const second = await startTestServer({ db, dataDir, evidence: { key: newKey, previousKey: KEY } });
    try {
      await second.server.keyRotation;
      const as = second.admin;
      expect(
        (
          await second.fetch(`/api/v1/evidence-uploads/${up.id}?offset=1300000`, {
            method: 'PUT',
            body: data.subarray(1_300_000),
            headers: { 'content-type': 'application/octet-stream' },
            as,
          })
        ).status,
      ).toBe(200);
      const done = await second.fetch(`/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST', as });
      expect(done.status).toBe(201);
      const item = (await done.json()) as EvidenceItem;
      expect(item.sha256).toBe(sha(data));
      // The server re-wrapped the stored data keys at start; running it again finds nothing left.
      const ring = keyringOf(parseKey(newKey, 'new'), [parseKey(KEY, 'old')]);
      expect(await rewrapDataKeys(db.sql, ring)).toEqual({ blobs: 0, uploads: 0, unknownKeys: [] });
      const [left] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM evidence_blobs WHERE key_id <> ${ring.current.id}`;
      expect(left?.n).toBe(0);
    } finally {
      await second.stop();
    }
    // Only the new key from now on: everything still reads.
    const third = await startTestServer({ db, dataDir, evidence: { key: newKey } });
    try {
      const list = (await (await third.fetch(`/api/v1/incidents/${inc}/evidence`, { as: third.admin })).json()) as { items: EvidenceItem[] };
      const r = await third.fetch(contentUrl(inc, list.items[0]?.id ?? ''), { as: third.admin });
      expect(sha(Buffer.from(await r.arrayBuffer()))).toBe(sha(data));
    } finally {
      await third.stop();
    }
  });
});
