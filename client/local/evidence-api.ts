/**
 * The evidence locker API as the device uses it (contract: shared/evidence-api.ts): the
 * resumable upload steps the outbox replays, and the panel's reads (list, custody), the stored
 * file's re-verification, export and download links; the legal hold, deletion and the retention
 * settings (lead/admin, admin). Failures are values (http-json.ts); a 401 calls `onUnauthenticated`.
 */
import { z } from 'zod';
import {
  custodyResponse,
  evidenceItemSchema,
  evidenceListResponse,
  evidenceUploadSchema,
  legalHoldResponse,
  retentionSchema,
  verifyResponse,
  type CreateEvidenceBody,
  type Retention,
} from '../../shared/evidence-api.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { isUnauthenticated, requestJson, type ApiFailure, type FetchFn } from './http-json.ts';

/** What a chunk PUT answers: the upload, or at least its new offset. */
const offsetAnswer = z.union([
  evidenceUploadSchema.transform((u) => u.offset),
  z
    .object({ offset: z.int().min(0) })
    .loose()
    .transform((v) => v.offset),
]);

export interface EvidenceApiDeps {
  fetch: FetchFn;
  onUnauthenticated(): void;
  timeoutMs?: number;
  /** Chunk PUTs carry megabytes over slow links: a longer timeout. */
  chunkTimeoutMs?: number;
}

const enc = encodeURIComponent;

/** The download link of an item's content; the browser sends it as an attachment, never inline. */
export function evidenceContentUrl(incidentId: string, evidenceId: string, reason: string, zipInfected: boolean): string {
  const q = new URLSearchParams({ reason });
  if (zipInfected) q.set('zip', 'infected');
  return `/api/v1/incidents/${enc(incidentId)}/evidence/${enc(evidenceId)}/content?${q.toString()}`;
}

export function createEvidenceApi(deps: EvidenceApiDeps) {
  const timeoutMs = deps.timeoutMs ?? 20_000;
  const chunkTimeoutMs = deps.chunkTimeoutMs ?? 120_000;
  async function call<T>(url: string, init: RequestInit, schema: z.ZodType<T>, timeout = timeoutMs): Promise<Result<T, ApiFailure>> {
    const res = await requestJson(deps.fetch, url, init, schema, timeout);
    if (!res.ok && isUnauthenticated(res.error)) deps.onUnauthenticated();
    return res;
  }
  const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const upload = (id: string): string => `/api/v1/evidence-uploads/${enc(id)}`;

  return {
    createUpload: (incidentId: string, body: CreateEvidenceBody) =>
      call(`/api/v1/incidents/${enc(incidentId)}/evidence`, json('POST', body), evidenceUploadSchema),
    getUpload: (uploadId: string) => call(upload(uploadId), { method: 'GET', cache: 'no-store' }, evidenceUploadSchema),
    /** Append bytes at `offset`; resolves to the server's new offset. */
    putChunk: (uploadId: string, offset: number, bytes: Uint8Array) =>
      call(
        `${upload(uploadId)}?offset=${offset}`,
        { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes as Uint8Array<ArrayBuffer> },
        offsetAnswer,
        chunkTimeoutMs,
      ),
    /** DELETE: abandon an open upload (frees the server's quota); a 204 has no body to parse. */
    abandonUpload: (uploadId: string) => call(upload(uploadId), { method: 'DELETE' }, z.null()),
    complete: (uploadId: string) => call(`${upload(uploadId)}/complete`, { method: 'POST' }, evidenceItemSchema, chunkTimeoutMs),
    list: (incidentId: string) => call(`/api/v1/incidents/${enc(incidentId)}/evidence`, { method: 'GET', cache: 'no-store' }, evidenceListResponse),
    custody: (incidentId: string, evidenceId: string) =>
      call(`/api/v1/incidents/${enc(incidentId)}/evidence/${enc(evidenceId)}/custody`, { method: 'GET', cache: 'no-store' }, custodyResponse),
    /** The server decrypts and hashes the stored file again (slow for large files). */
    verifyStored: (incidentId: string, evidenceId: string) =>
      call(`/api/v1/incidents/${enc(incidentId)}/evidence/${enc(evidenceId)}/verify`, { method: 'POST' }, verifyResponse, chunkTimeoutMs),
    /** PUT (place) or DELETE (release) the incident's legal hold, with the reason for the custody log. */
    setLegalHold: (incidentId: string, reason: string, held: boolean) =>
      call(`/api/v1/incidents/${enc(incidentId)}/legal-hold`, json(held ? 'PUT' : 'DELETE', { reason }), legalHoldResponse),
    /** DELETE an item (admin): the server keeps a tombstone, and refuses (409) under legal hold or before retention ends. */
    deleteItem: (incidentId: string, evidenceId: string, reason: string) =>
      call(`/api/v1/incidents/${enc(incidentId)}/evidence/${enc(evidenceId)}`, json('DELETE', { reason }), evidenceItemSchema),
    retention: () => call('/api/v1/evidence-retention', { method: 'GET', cache: 'no-store' }, retentionSchema),
    setRetention: (r: Retention) => call('/api/v1/evidence-retention', json('PUT', r), retentionSchema),
    /** POST …/evidence/export {reason}: the archive as a Blob (the browser spills large ones to disk). */
    async exportArchive(incidentId: string, reason: string): Promise<Result<Blob, ApiFailure>> {
      let res: Response;
      try {
        res = await deps.fetch(`/api/v1/incidents/${enc(incidentId)}/evidence/export`, { ...json('POST', { reason }), credentials: 'same-origin' });
      } catch (e) {
        return err({ kind: 'network', message: e instanceof Error ? e.message : 'network error' });
      }
      if (res.ok) return ok(await res.blob());
      // Let the shared reader turn the error body into a failure.
      const failure = await requestJson(async () => res, '', {}, z.never(), timeoutMs);
      if (failure.ok) return err({ kind: 'invalid', message: 'unexpected export answer' });
      if (isUnauthenticated(failure.error)) deps.onUnauthenticated();
      return err(failure.error);
    },
  };
}

export type EvidenceApi = ReturnType<typeof createEvidenceApi>;
