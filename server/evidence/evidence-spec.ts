/**
 * The evidence locker routes (server/evidence/routes.ts) in the OpenAPI registry, with the
 * shared zod schemas of shared/evidence-api.ts.
 */
import { z } from 'zod';
import {
  chunkQuery,
  createEvidenceBody,
  custodyResponse,
  downloadQuery,
  evidenceItemSchema,
  evidenceListResponse,
  evidenceParams,
  evidenceUploadSchema,
  legalHoldResponse,
  reasonBody,
  retentionSchema,
  uploadIdParam,
  verifyResponse,
} from '../../shared/evidence-api.ts';
import type { Named, RouteSpec } from '../openapi/registry.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const idParam = z.object({ id: z.uuid() });
const Item = n('EvidenceItem', evidenceItemSchema);
const Upload = n('EvidenceUpload', evidenceUploadSchema);
const Reason = n('EvidenceReason', reasonBody);
const Retention = n('EvidenceRetention', retentionSchema);
const notFound = { 404: { description: 'No such incident, evidence or upload (checked after permission)' } };
const binary = { description: 'The bytes, as an attachment (application/octet-stream, nosniff); an altered stored file aborts the transfer' };

export const EVIDENCE_ROUTES: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/incidents/{id}/evidence',
    tag: 'evidence',
    summary: 'Start a resumable upload (JSON metadata), or upload a small file in one request (multipart: metadata + file)',
    description: 'The same upload_key answers the existing upload. 413 when a quota (details.quota: incident | total) would be exceeded.',
    action: 'incident:write',
    params: idParam,
    body: n('CreateEvidence', createEvidenceBody),
    responses: {
      201: { description: 'The upload (JSON) or the stored item (multipart)', schema: Upload },
      200: { description: 'The existing upload for this upload_key', schema: Upload },
      413: { description: 'Quota exceeded' },
      ...notFound,
    },
  },
  {
    method: 'get',
    path: '/evidence-uploads/{uploadId}',
    tag: 'evidence',
    summary: 'Where an upload resumes',
    action: 'incident:write',
    params: uploadIdParam,
    responses: { 200: { description: 'The upload', schema: Upload }, ...notFound },
  },
  {
    method: 'put',
    path: '/evidence-uploads/{uploadId}',
    tag: 'evidence',
    summary: 'Append a chunk (application/octet-stream) at offset',
    action: 'incident:write',
    params: uploadIdParam,
    query: chunkQuery,
    responses: {
      200: { description: 'The new offset', schema: Upload },
      409: { description: 'The offset is not where the upload continues (details.offset)' },
      413: { description: 'Past the declared size or the chunk limit' },
      ...notFound,
    },
  },
  {
    method: 'post',
    path: '/evidence-uploads/{uploadId}/complete',
    tag: 'evidence',
    summary: 'Finish an upload: the SHA-256 computed while streaming must equal the declared one',
    action: 'incident:write',
    params: uploadIdParam,
    responses: {
      201: { description: 'The stored item', schema: Item },
      409: { description: 'Incomplete (details.offset)' },
      422: { description: 'hash_mismatch: the upload was discarded' },
      ...notFound,
    },
  },
  {
    method: 'delete',
    path: '/evidence-uploads/{uploadId}',
    tag: 'evidence',
    summary: 'Abandon an open upload',
    action: 'incident:write',
    params: uploadIdParam,
    responses: { 204: { description: 'Abandoned' }, ...notFound },
  },
  {
    method: 'get',
    path: '/incidents/{id}/evidence',
    tag: 'evidence',
    summary: 'The incident’s evidence, legal hold and quota usage',
    action: 'incident:read',
    params: idParam,
    responses: { 200: { description: 'Evidence', schema: n('EvidenceList', evidenceListResponse) } },
  },
  {
    method: 'get',
    path: '/incidents/{id}/evidence/{evidenceId}',
    tag: 'evidence',
    summary: 'An item’s metadata (recorded in the chain of custody)',
    action: 'incident:read',
    params: evidenceParams,
    responses: { 200: { description: 'The item', schema: Item }, ...notFound },
  },
  {
    method: 'get',
    path: '/incidents/{id}/evidence/{evidenceId}/content',
    tag: 'evidence',
    summary: 'Download (reason required and recorded; ?zip=infected for a password-protected zip)',
    action: 'evidence:download',
    params: evidenceParams,
    query: downloadQuery,
    responses: { 200: binary, ...notFound },
  },
  {
    method: 'get',
    path: '/incidents/{id}/evidence/{evidenceId}/custody',
    tag: 'evidence',
    summary: 'The item’s chain of custody, with the whole chain verified',
    action: 'incident:read',
    params: evidenceParams,
    responses: { 200: { description: 'Custody entries', schema: n('CustodyLog', custodyResponse) }, ...notFound },
  },
  {
    method: 'post',
    path: '/incidents/{id}/evidence/{evidenceId}/verify',
    tag: 'evidence',
    summary: 'Decrypt and hash the stored file again',
    action: 'incident:read',
    params: evidenceParams,
    responses: { 200: { description: 'Whether it is intact', schema: n('EvidenceVerify', verifyResponse) }, ...notFound },
  },
  {
    method: 'delete',
    path: '/incidents/{id}/evidence/{evidenceId}',
    tag: 'evidence',
    summary: 'Delete (admin; after retention; not under legal hold); leaves a tombstone',
    action: 'settings:manage',
    params: evidenceParams,
    body: Reason,
    responses: { 200: { description: 'The tombstoned item', schema: Item }, 409: { description: 'Retained or under legal hold' }, ...notFound },
  },
  {
    method: 'post',
    path: '/incidents/{id}/evidence/export',
    tag: 'evidence',
    summary: 'Export for legal proceedings: zip of files, manifest.json, custody.json, manifest.sha256',
    action: 'evidence:download',
    params: idParam,
    body: Reason,
    responses: { 200: { description: 'The zip archive (attachment)' } },
  },
  {
    method: 'put',
    path: '/incidents/{id}/legal-hold',
    tag: 'evidence',
    summary: 'Place a legal hold (lead or admin): no evidence of the incident can be deleted',
    action: 'incident:write',
    params: idParam,
    body: Reason,
    responses: { 200: { description: 'The hold', schema: n('LegalHold', legalHoldResponse) }, ...notFound },
  },
  {
    method: 'delete',
    path: '/incidents/{id}/legal-hold',
    tag: 'evidence',
    summary: 'Release the legal hold (lead or admin)',
    action: 'incident:write',
    params: idParam,
    body: Reason,
    responses: { 200: { description: 'No hold', schema: n('LegalHold', legalHoldResponse) }, 409: { description: 'No hold to release' }, ...notFound },
  },
  {
    method: 'get',
    path: '/evidence-retention',
    tag: 'evidence',
    summary: 'Evidence retention per incident category',
    action: 'settings:manage',
    responses: { 200: { description: 'Retention', schema: Retention } },
  },
  {
    method: 'put',
    path: '/evidence-retention',
    tag: 'evidence',
    summary: 'Set evidence retention per incident category',
    action: 'settings:manage',
    body: Retention,
    responses: { 200: { description: 'Retention', schema: Retention } },
  },
];
