/**
 * The evidence locker API contract (zod).
 *
 * Upload (resumable, bounded memory, any size up to the quota):
 *   1. POST /api/v1/incidents/{id}/evidence            body: createEvidenceBody (metadata, size,
 *      sha256 the device computed) → 201 evidenceUpload (upload id, offset 0). The same
 *      `upload_key` again answers the existing upload (a device retrying after a lost response).
 *   2. PUT  /api/v1/evidence-uploads/{uploadId}?offset=N   raw bytes (application/octet-stream),
 *      appended at N (must equal the server's offset, else 409 with the current offset) → the new
 *      offset. Any number of chunks; a chunk is streamed to disk, never held whole in memory.
 *   3. GET  /api/v1/evidence-uploads/{uploadId} → evidenceUpload (where to resume).
 *   4. POST /api/v1/evidence-uploads/{uploadId}/complete → 201 evidenceItem when the SHA-256 the
 *      server computed while streaming equals the declared one; 422 (`hash_mismatch`) otherwise,
 *      and the upload is discarded. Identical content is stored once (addressed by SHA-256).
 *   5. DELETE /api/v1/evidence-uploads/{uploadId} abandons an open upload (frees its quota).
 *   Errors: 409 `conflict` with details.offset (resume there); 413 `payload_too_large` with
 *   details.quota 'incident' | 'total' (EVIDENCE_QUOTA_*) or details.limit (chunk too big);
 *   422 `unprocessable` with details.reason 'hash_mismatch'. Chunks ≤ MAX_CHUNK_BYTES.
 *   A small file may also go in one request: POST /api/v1/incidents/{id}/evidence with
 *   `multipart/form-data` (field `metadata`: createEvidenceBody JSON, field `file`: the bytes).
 *
 * Reads: GET /api/v1/incidents/{id}/evidence (list), /evidence/{evidenceId} (metadata; a custody
 * entry `view`), /evidence/{evidenceId}/content?reason=... (download; the reason is required and
 * recorded; malware samples only as attachment, `?zip=infected` for a password-protected zip),
 * /evidence/{evidenceId}/custody (the custody log, with `verified`), POST
 * /evidence/{evidenceId}/verify (decrypt and hash the stored file again → verifyResponse).
 * Export: POST /api/v1/incidents/{id}/evidence/export {reason} → a zip with the files, manifest.json,
 * custody.json, and manifest.sha256.
 * Deletion: DELETE /api/v1/incidents/{id}/evidence/{evidenceId} {reason} (admin, after retention,
 * not under legal hold). Legal hold: PUT/DELETE /api/v1/incidents/{id}/legal-hold {reason} (lead/admin).
 * Retention per incident category: GET/PUT /api/v1/evidence-retention (admin).
 */
import { z } from 'zod';
import { CATEGORIES, isoDateTime } from './incident-schema.ts';

export const EVIDENCE_TYPES = ['disk_image', 'memory_image', 'log', 'file', 'malware_sample', 'screenshot', 'email', 'other'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

export const EVIDENCE_TYPE_LABELS = {
  disk_image: 'Disk image',
  memory_image: 'Memory image',
  log: 'Log export',
  file: 'File',
  malware_sample: 'Malware sample',
  screenshot: 'Screenshot',
  email: 'E-mail',
  other: 'Other',
} as const satisfies Record<EvidenceType, string>;

const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'expected a lower-case hex SHA-256');

export const createEvidenceBody = z
  .object({
    type: z.enum(EVIDENCE_TYPES),
    /** The original file name (kept as metadata; never used as a path). */
    file_name: z.string().trim().min(1).max(255),
    description: z.string().max(4_000).default(''),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).default([]),
    /** Who collected it (default: the uploader). */
    collected_by: z.string().trim().min(1).max(200).optional(),
    /** When it was collected (may be long before the upload). */
    collected_at: isoDateTime,
    /** Where: site, room, system. */
    collected_where: z.string().max(500).default(''),
    source_host: z.string().max(255).nullable().default(null),
    size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    sha256,
    /** Timeline entries this item supports. */
    linked_entries: z.array(z.string().min(1).max(64)).max(100).default([]),
    /** The device's key for this capture: retries with it never create a second upload. */
    upload_key: z.string().min(8).max(200),
  })
  .strict();
export type CreateEvidenceBody = z.infer<typeof createEvidenceBody>;

export const evidenceUploadSchema = z.object({
  id: z.uuid(),
  incident_id: z.uuid(),
  size: z.int(),
  /** Bytes received so far (where the next chunk starts). */
  offset: z.int(),
  state: z.enum(['open', 'complete']),
  /** Set once complete. */
  evidence_id: z.uuid().nullable(),
});
export type EvidenceUpload = z.infer<typeof evidenceUploadSchema>;

export const evidenceItemSchema = z.object({
  id: z.uuid(),
  incident_id: z.uuid(),
  type: z.enum(EVIDENCE_TYPES),
  file_name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  collected_by: z.string(),
  collected_at: z.string(),
  collected_where: z.string(),
  source_host: z.string().nullable(),
  uploaded_by: z.string(),
  uploaded_at: z.string(),
  size: z.int(),
  sha256,
  md5: z.string(),
  sha1: z.string(),
  linked_entries: z.array(z.string()),
  /** The timeline entry that records it in the incident document. */
  timeline_entry_id: z.string().nullable(),
  retention_until: z.string().nullable(),
  deleted_at: z.string().nullable(),
});
export type EvidenceItem = z.infer<typeof evidenceItemSchema>;

export const evidenceListResponse = z.object({
  items: z.array(evidenceItemSchema),
  legal_hold: z.object({ since: z.string(), by: z.string(), reason: z.string() }).nullable(),
  usage: z.object({ incident_bytes: z.int(), incident_quota: z.int(), total_bytes: z.int(), total_quota: z.int() }),
});

const CUSTODY_ACTIONS = ['upload', 'view', 'download', 'export', 'hold', 'release', 'delete'] as const;
const custodyEntrySchema = z.object({
  seq: z.int(),
  evidence_id: z.uuid().nullable(),
  incident_id: z.uuid(),
  action: z.enum(CUSTODY_ACTIONS),
  actor: z.string(),
  at: z.string(),
  /** Client address as seen by the server. */
  from: z.string().nullable(),
  reason: z.string(),
  details: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});
export type CustodyEntry = z.infer<typeof custodyEntrySchema>;
export const custodyResponse = z.object({ items: z.array(custodyEntrySchema), verified: z.boolean(), problem: z.string().nullable() });

/** Downloads, exports, deletions and holds say why. */
export const reasonBody = z.object({ reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2_000) }).strict();
export const downloadQuery = z
  .object({
    reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2_000),
    /** `infected`: a zip protected with the password "infected" (malware samples). */
    zip: z.literal('infected').optional(),
  })
  .strict();

export const retentionSchema = z.object({
  /** Days evidence is kept per incident category before an admin may delete it. */
  days: z.partialRecord(z.enum(CATEGORIES), z.int().min(0).max(36_500)),
  default_days: z.int().min(0).max(36_500),
});
export type Retention = z.infer<typeof retentionSchema>;

/** PUT /api/v1/evidence-uploads/{uploadId}?offset=N */
export const chunkQuery = z.object({ offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict();
export const uploadIdParam = z.object({ uploadId: z.uuid() });
export const evidenceParams = z.object({ id: z.uuid(), evidenceId: z.uuid() });

/** POST /api/v1/incidents/{id}/evidence/{evidenceId}/verify: the stored file decrypted and hashed again. */
export const verifyResponse = z.object({ verified: z.boolean(), problem: z.string().nullable() });

export const legalHoldResponse = z.object({ legal_hold: z.object({ since: z.string(), by: z.string(), reason: z.string() }).nullable() });

/** Largest file the single-request multipart upload takes (bigger files: the chunked upload). */
export const MAX_MULTIPART_BYTES = 32 * 1024 * 1024;
/** Largest chunk one PUT may carry. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
