import { describe, expect, it, vi } from 'vitest';
import { createEvidenceApi, evidenceContentUrl } from './evidence-api.ts';

const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('evidence API client', () => {
  it('puts the reason in the download link, and the zip option only when asked', () => {
    const url = evidenceContentUrl('inc-1', 'ev/2', 'court & counsel', false);
    expect(url).toBe('/api/v1/incidents/inc-1/evidence/ev%2F2/content?reason=court+%26+counsel');
    expect(evidenceContentUrl('inc-1', 'ev-2', 'sandbox', true)).toMatch(/[?&]zip=infected$/);
  });

  it('reads the new offset from a chunk answer', async () => {
    const fetch = vi.fn(async () =>
      json(200, {
        id: '0193a0b4-7a1c-7000-8000-000000000001',
        incident_id: '0193a0b4-7a1c-7000-8000-000000000002',
        size: 10,
        offset: 6,
        state: 'open',
        evidence_id: null,
      }),
    );
    const api = createEvidenceApi({ fetch, onUnauthenticated: () => undefined });
    const res = await api.putChunk('0193a0b4-7a1c-7000-8000-000000000001', 2, new Uint8Array(4));
    expect(res).toEqual({ ok: true, value: 6 });
    expect(fetch).toHaveBeenCalledWith(
      '/api/v1/evidence-uploads/0193a0b4-7a1c-7000-8000-000000000001?offset=2',
      expect.objectContaining({ method: 'PUT', headers: { 'content-type': 'application/octet-stream' } }),
    );
  });

  it('turns a refused export into the server message, and a 401 into a signed-out engine', async () => {
    const onUnauthenticated = vi.fn();
    const refused = createEvidenceApi({
      fetch: async () => json(403, { error: { code: 'forbidden', message: 'leads and admins export evidence' } }),
      onUnauthenticated,
    });
    expect(await refused.exportArchive('inc-1', 'court')).toEqual({
      ok: false,
      error: expect.objectContaining({ kind: 'http', status: 403, message: 'leads and admins export evidence' }),
    });
    expect(onUnauthenticated).not.toHaveBeenCalled();

    const expired = createEvidenceApi({ fetch: async () => json(401, { error: { code: 'unauthenticated', message: 'session expired' } }), onUnauthenticated });
    expect((await expired.list('inc-1')).ok).toBe(false);
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('hands an export over as a Blob', async () => {
    const api = createEvidenceApi({
      fetch: async () => new Response(new Uint8Array([0x50, 0x4b, 3, 4]), { status: 200, headers: { 'content-type': 'application/zip' } }),
      onUnauthenticated: () => undefined,
    });
    const res = await api.exportArchive('inc-1', 'court');
    expect(res.ok && new Uint8Array(await res.value.arrayBuffer())).toEqual(new Uint8Array([0x50, 0x4b, 3, 4]));
  });

  it('sends the reason of a hold release and of a deletion as a JSON body, and hands a 409 over with its message', async () => {
    const fetch = vi.fn(async () => json(200, { legal_hold: null }));
    const api = createEvidenceApi({ fetch, onUnauthenticated: () => undefined });
    expect(await api.setLegalHold('inc-1', 'case settled', false)).toEqual({ ok: true, value: { legal_hold: null } });
    expect(fetch).toHaveBeenCalledWith(
      '/api/v1/incidents/inc-1/legal-hold',
      expect.objectContaining({ method: 'DELETE', body: JSON.stringify({ reason: 'case settled' }) }),
    );

    const message = 'incident inc-1 is under legal hold since 2026-11-20T10:00:00.000Z: evidence cannot be deleted';
    const refused = createEvidenceApi({ fetch: async () => json(409, { error: { code: 'conflict', message } }), onUnauthenticated: () => undefined });
    expect(await refused.deleteItem('inc-1', 'ev-2', 'cleanup')).toEqual({ ok: false, error: expect.objectContaining({ status: 409, message }) });
  });
});
