/**
 * The evidence locker's logic: resumable uploads (hashes computed while streaming, checked at
 * completion, content stored once per SHA-256), reads and verified downloads, legal holds,
 * retention and deletion (a tombstone; the blob goes when no live item uses it). Every access
 * that the chain of custody covers appends its entry here, and a retention change its audit
 * entry; routes only check permission and validate input. (Over 300 lines: one upload's life is
 * easier to follow in one place.)
 */
import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '../../shared/errors.ts';
import { MAX_CHUNK_BYTES, type CreateEvidenceBody, type EvidenceItem, type EvidenceUpload, type Retention } from '../../shared/evidence-api.ts';
import type * as Y from 'yjs';
import { newId } from '../../shared/ids.ts';
import { addTimelineEntry, hasTimelineEntry, isIncidentDoc, SERVER_ORIGIN, setEntryEvidence } from '../../shared/incident-doc.ts';
import type { EvidencePayload } from '../../shared/timeline-payloads.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditActor } from '../audit/audit-types.ts';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import type { DocOutbox } from '../sync/doc-outbox.ts';
import { Hashes, type BlobFiles } from './blob-files.ts';
import { createCustodyLog, type CustodyEvent, type CustodyLog } from './custody-log.ts';
import { getBlob, getItem, getUpload, legalHold, listItems, readRetention, toUpload, usage, writeRetention, type LegalHold } from './evidence-store.ts';
import { newDataKey, unwrapKey, wrapKey, type Keyring } from './keys.ts';
import { fileKey, IntegrityError } from './segment-crypto.ts';
import { KEYED_LOCK_SEEDS } from '../db/locks.ts';

/** How long an upload's lease holds without renewal (a crashed process's lease runs out after this). */
const LEASE_MS = 20_000;

export interface Who {
  name: string;
  id: string | null;
  /** The client address (honouring TRUST_PROXY). */
  from: string | null;
}

/** The outbox kind of an EvidenceDocWrite. */
export const EVIDENCE_WRITE_KIND = 'evidence';

/** A stored item's timeline entry (JSON: recorded in the document outbox with the item). */
export interface EvidenceDocWrite {
  entryId: string;
  text: string;
  author: string;
  data: EvidencePayload;
  /** Entries named at capture: they show the item among their links, like a link made later. */
  linkedEntries: string[];
}

/** The outbox handler: the item's `evidence` entry (once) and its links on the named entries. */
export function applyEvidenceWrite(doc: Y.Doc, payload: unknown): 'done' | 'later' {
  if (!isIncidentDoc(doc)) return 'later';
  const w = payload as EvidenceDocWrite;
  if (!hasTimelineEntry(doc, w.entryId))
    addTimelineEntry(doc, { id: w.entryId, kind: 'evidence', text: w.text, author: w.author, data: w.data }, SERVER_ORIGIN);
  const evidenceId = String(w.data['evidence_id']);
  for (const entryId of w.linkedEntries) setEntryEvidence(doc, entryId, evidenceId, true, SERVER_ORIGIN);
  return 'done';
}

export interface EvidenceOptions {
  sql: Sql;
  docs: DocumentManager;
  /** Writes the evidence timeline entry after the item commits (durably: a crash in between loses nothing). */
  outbox: DocOutbox;
  logger: Logger;
  files: BlobFiles;
  keyring: Keyring;
  quotaIncidentBytes: number;
  quotaTotalBytes: number;
  /** Where retention changes are audited (the server's audit log). */
  audit: AuditLog;
}

export interface EvidenceService {
  readonly custody: CustodyLog;
  readonly keyring: Keyring;
  createUpload(who: Who, incidentId: string, body: CreateEvidenceBody): Promise<{ upload: EvidenceUpload; created: boolean }>;
  /** The upload (null when it does not exist). */
  /** An upload with its incident and who opened it (only they may add to it). */
  findUpload(id: string): Promise<{ incidentId: string; createdById: string | null; upload: () => Promise<EvidenceUpload> } | null>;
  putChunk(id: string, offset: number, body: AsyncIterable<Uint8Array>, declaredLength: number | null): Promise<EvidenceUpload>;
  complete(who: Who, id: string): Promise<EvidenceItem>;
  abandon(id: string): Promise<void>;
  /**
   * Remove the open uploads that received nothing for `idleMs` (their partial files and their
   * quota reservation); returns how many went. A device still holding the file starts again.
   */
  expireIdleUploads(idleMs: number): Promise<number>;
  list(incidentId: string): Promise<{
    items: EvidenceItem[];
    legal_hold: LegalHold | null;
    usage: { incident_bytes: number; incident_quota: number; total_bytes: number; total_quota: number };
  }>;
  /** Metadata (a `view` custody entry when `who` is given). */
  get(incidentId: string, id: string, who?: Who): Promise<EvidenceItem>;
  /** Record the download, then the plaintext, each segment verified (throws IntegrityError mid-stream when altered). */
  download(
    who: Who,
    incidentId: string,
    id: string,
    reason: string,
    details: Record<string, unknown>,
  ): Promise<{ item: EvidenceItem; content: () => AsyncGenerator<Buffer> }>;
  /** Decrypt and hash the stored file: null when it matches, else what is wrong. */
  verify(incidentId: string, id: string): Promise<string | null>;
  remove(who: Who, incidentId: string, id: string, reason: string): Promise<EvidenceItem>;
  setHold(who: Who, incidentId: string, reason: string, held: boolean): Promise<LegalHold | null>;
  retention(): Promise<Retention>;
  /** Replace the retention settings; the change (before and after) is audited in the same transaction. */
  setRetention(actor: AuditActor, r: Retention): Promise<Retention>;
  /** The plaintext of a live item without a custody entry (export records its own). */
  contentOf(item: EvidenceItem): AsyncGenerator<Buffer>;
}

export function createEvidenceService(opts: EvidenceOptions): EvidenceService {
  const { sql, docs, outbox, files, keyring, logger, audit } = opts;
  const custody = createCustodyLog(sql);
  /** Running hashes of open uploads (lost on restart: recomputed from the stored chunks). */
  const running = new Map<string, Hashes>();
  const busy = new Set<string>();

  const event = (
    who: Who,
    incidentId: string,
    evidenceId: string | null,
    action: CustodyEvent['action'],
    reason: string,
    details?: Record<string, unknown>,
  ): CustodyEvent => ({
    evidenceId,
    incidentId,
    action,
    actor: { name: who.name, id: who.id },
    from: who.from,
    reason,
    details,
  });

  async function incidentExists(id: string): Promise<boolean> {
    return docs.withDoc(id, (doc) => isIncidentDoc(doc));
  }

  async function mustGet(incidentId: string, id: string): Promise<EvidenceItem> {
    const item = await getItem(sql, incidentId, id);
    if (!item) throw new DomainError('not_found', `no evidence ${id} in incident ${incidentId}`);
    return item;
  }

  async function* plaintext(item: EvidenceItem): AsyncGenerator<Buffer> {
    const blob = await getBlob(sql, item.sha256);
    if (!blob) throw new IntegrityError(`the stored content of ${item.id} is missing`);
    // The segments are bound to the SHA-256: a verified read is this item's content.
    yield* files.read(blob.file_id, fileKey(unwrapKey(keyring, blob.key_id, blob.wrapped_key), blob.sha256), blob.size);
  }

  async function uploadState(id: string): Promise<EvidenceUpload> {
    const row = await getUpload(sql, id);
    if (!row) throw new DomainError('not_found', `no upload ${id}`);
    if (row.state === 'complete') return toUpload(row, row.size);
    return toUpload(row, await files.uploadOffset(id, fileKey(unwrapKey(keyring, row.key_id, row.wrapped_key), row.sha256)));
  }

  /**
   * One request at a time per upload, across every server process: an in-process check first,
   * then a lease on the upload's row (LEASE_MS, renewed every LEASE_MS / 4 while `fn` works).
   */
  async function exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const refuseBusy = (): never => {
      throw new DomainError('conflict', `upload ${id} is busy with another request; retry`, { busy: true });
    };
    if (busy.has(id)) refuseBusy();
    busy.add(id);
    try {
      const [leased] = await sql`UPDATE evidence_uploads SET lease_until = now() + ${LEASE_MS} * interval '1 millisecond'
        WHERE id = ${id} AND (lease_until IS NULL OR lease_until < now()) RETURNING id`;
      if (!leased) {
        if (!(await getUpload(sql, id))) throw new DomainError('not_found', `no upload ${id}`);
        refuseBusy();
      }
      const renew = setInterval(() => {
        sql`UPDATE evidence_uploads SET lease_until = now() + ${LEASE_MS} * interval '1 millisecond' WHERE id = ${id}`.catch((e: unknown) =>
          logger.warn({ err: e, uploadId: id }, 'renewing an evidence upload lease failed'),
        );
      }, LEASE_MS / 4);
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        await sql`UPDATE evidence_uploads SET lease_until = NULL WHERE id = ${id}`.catch((e: unknown) =>
          logger.warn({ err: e, uploadId: id }, 'releasing an evidence upload lease failed'),
        );
      }
    } finally {
      busy.delete(id);
    }
  }

  return {
    custody,
    keyring,

    async createUpload(who, incidentId, body) {
      const [existing] = await sql<{ id: string }[]>`SELECT id FROM evidence_uploads WHERE incident_id = ${incidentId} AND upload_key = ${body.upload_key}`;
      if (existing) return { upload: await uploadState(existing.id), created: false };
      if (!(await incidentExists(incidentId))) throw new DomainError('not_found', `no incident ${incidentId}`);
      const used = await usage(sql, incidentId);
      if (used.incident + body.size > opts.quotaIncidentBytes) {
        throw new DomainError(
          'payload_too_large',
          `the incident's evidence quota (EVIDENCE_QUOTA_INCIDENT_BYTES = ${opts.quotaIncidentBytes} bytes) would be exceeded: ${used.incident} bytes used, ${body.size} more requested`,
          {
            quota: 'incident',
            limit: opts.quotaIncidentBytes,
            used: used.incident,
          },
        );
      }
      const stored = await getBlob(sql, body.sha256);
      if (!stored && used.total + body.size > opts.quotaTotalBytes) {
        throw new DomainError(
          'payload_too_large',
          `the overall evidence quota (EVIDENCE_QUOTA_TOTAL_BYTES = ${opts.quotaTotalBytes} bytes) would be exceeded: ${used.total} bytes used, ${body.size} more requested`,
          {
            quota: 'total',
            limit: opts.quotaTotalBytes,
            used: used.total,
          },
        );
      }
      const id = randomUUID();
      const wrapped = wrapKey(keyring.current, newDataKey());
      const rows = await sql<{ id: string }[]>`
        INSERT INTO evidence_uploads (id, incident_id, upload_key, created_by, created_by_id, metadata, size, sha256, key_id, wrapped_key)
        VALUES (${id}, ${incidentId}, ${body.upload_key}, ${who.name}, ${who.id}, ${sql.json(body as never)}, ${body.size}, ${body.sha256}, ${keyring.current.id}, ${wrapped})
        ON CONFLICT (incident_id, upload_key) DO NOTHING RETURNING id`;
      if (!rows[0]) {
        const [other] = await sql<{ id: string }[]>`SELECT id FROM evidence_uploads WHERE incident_id = ${incidentId} AND upload_key = ${body.upload_key}`;
        if (!other) throw new DomainError('conflict', 'the upload was removed concurrently; retry');
        return { upload: await uploadState(other.id), created: false };
      }
      running.set(id, Hashes.start());
      return { upload: { id, incident_id: incidentId, size: body.size, offset: 0, state: 'open', evidence_id: null }, created: true };
    },

    async findUpload(id) {
      const row = await getUpload(sql, id);
      return row ? { incidentId: row.incident_id, createdById: row.created_by_id, upload: () => uploadState(id) } : null;
    },

    putChunk(id, offset, body, declaredLength) {
      return exclusive(id, async () => {
        const row = await getUpload(sql, id);
        if (!row) throw new DomainError('not_found', `no upload ${id}`);
        if (row.state === 'complete') throw new DomainError('conflict', `upload ${id} is already complete`, { offset: row.size });
        const remaining = row.size - offset;
        if (declaredLength !== null && declaredLength > Math.min(remaining, MAX_CHUNK_BYTES)) {
          throw new DomainError(
            'payload_too_large',
            `the chunk is ${declaredLength} bytes; at most ${Math.min(remaining, MAX_CHUNK_BYTES)} may follow offset ${offset} (chunks are at most ${MAX_CHUNK_BYTES} bytes, the file ${row.size})`,
            {
              limit: Math.min(remaining, MAX_CHUNK_BYTES),
            },
          );
        }
        const key = fileKey(unwrapKey(keyring, row.key_id, row.wrapped_key), row.sha256);
        const r = await files.appendChunk(id, key, offset, body, Math.min(Math.max(remaining, 0), MAX_CHUNK_BYTES), running.get(id) ?? null);
        if (!r.ok && r.reason === 'offset')
          throw new DomainError('conflict', `the upload continues at offset ${r.offset}, not ${offset}`, { offset: r.offset });
        if (!r.ok)
          throw new DomainError('payload_too_large', `the chunk goes past the declared size (${row.size} bytes) or the ${MAX_CHUNK_BYTES}-byte chunk limit`, {
            limit: Math.min(remaining, MAX_CHUNK_BYTES),
          });
        const before = running.get(id);
        if (before && before !== r.hashes) before.drop();
        if (r.hashes) running.set(id, r.hashes);
        else running.delete(id);
        await sql`UPDATE evidence_uploads SET received = ${r.offset}, touched_at = now() WHERE id = ${id}`;
        return toUpload(row, r.offset);
      });
    },

    complete(who, id) {
      return exclusive(id, async () => {
        const row = await getUpload(sql, id);
        if (!row) throw new DomainError('not_found', `no upload ${id}`);
        if (row.state === 'complete' && row.evidence_id) return mustGet(row.incident_id, row.evidence_id);
        const key = fileKey(unwrapKey(keyring, row.key_id, row.wrapped_key), row.sha256);
        const offset = await files.uploadOffset(id, key);
        if (offset !== row.size) throw new DomainError('conflict', `the upload is incomplete: ${offset} of ${row.size} bytes received`, { offset });
        const mem = running.get(id);
        running.delete(id);
        if (mem && mem.length !== row.size) mem.drop();
        const hashes = await (mem && mem.length === row.size ? mem : await files.rehash(id, key)).digest();
        if (hashes.sha256 !== row.sha256) {
          await files.discardUpload(id);
          await sql`DELETE FROM evidence_uploads WHERE id = ${id}`;
          throw new DomainError(
            'unprocessable',
            `hash_mismatch: the received bytes have SHA-256 ${hashes.sha256}, not the declared ${row.sha256}; the upload was discarded`,
            {
              reason: 'hash_mismatch',
              expected: row.sha256,
              computed: hashes.sha256,
            },
          );
        }
        const meta = row.metadata as CreateEvidenceBody;
        const evidenceId = randomUUID();
        const entryId = newId();
        const writes = await sql.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(hashtextextended(${row.sha256}, ${KEYED_LOCK_SEEDS.evidenceBlob}))`;
          const blob = await getBlob(tx, row.sha256);
          if (blob) {
            await files.discardUpload(id);
          } else {
            const fileId = randomUUID();
            await files.finish(id, key, fileId);
            await tx`
              INSERT INTO evidence_blobs (sha256, file_id, size, md5, sha1, key_id, wrapped_key)
              VALUES (${row.sha256}, ${fileId}, ${row.size}, ${hashes.md5}, ${hashes.sha1}, ${row.key_id}, ${row.wrapped_key})`;
          }
          await tx`
            INSERT INTO evidence_items (id, incident_id, type, file_name, description, tags, collected_by, collected_at, collected_where,
                                        source_host, uploaded_by, uploaded_by_id, size, sha256, md5, sha1, linked_entries, timeline_entry_id)
            VALUES (${evidenceId}, ${row.incident_id}, ${meta.type}, ${meta.file_name}, ${meta.description}, ${meta.tags}, ${meta.collected_by ?? row.created_by},
                    ${meta.collected_at}, ${meta.collected_where}, ${meta.source_host}, ${row.created_by}, ${row.created_by_id}, ${row.size},
                    ${row.sha256}, ${hashes.md5}, ${hashes.sha1}, ${meta.linked_entries}, ${entryId})`;
          await tx`UPDATE evidence_uploads SET state = 'complete', evidence_id = ${evidenceId}, received = ${row.size} WHERE id = ${id}`;
          await custody.append(
            event(who, row.incident_id, evidenceId, 'upload', '', {
              sha256: row.sha256,
              size: row.size,
              file_name: meta.file_name,
              deduplicated: blob !== null,
            }),
            tx,
          );
          // The timeline entry commits with the item (the outbox writes it into the document after).
          const entry: EvidenceDocWrite = {
            entryId,
            text: `Evidence added: ${meta.file_name}`,
            author: who.name,
            data: { evidence_id: evidenceId, file_name: meta.file_name, sha256: row.sha256, type: meta.type, size: row.size },
            linkedEntries: meta.linked_entries ?? [],
          };
          return outbox.record(tx, [{ docId: row.incident_id, kind: EVIDENCE_WRITE_KIND, payload: entry }]);
        });
        await outbox.apply(writes);
        return mustGet(row.incident_id, evidenceId);
      });
    },

    abandon(id) {
      return exclusive(id, async () => {
        const row = await getUpload(sql, id);
        if (!row) throw new DomainError('not_found', `no upload ${id}`);
        if (row.state === 'complete') throw new DomainError('conflict', `upload ${id} is complete; it is evidence ${row.evidence_id} now`);
        await files.discardUpload(id);
        running.get(id)?.drop();
        running.delete(id);
        await sql`DELETE FROM evidence_uploads WHERE id = ${id}`;
      });
    },

    async expireIdleUploads(idleMs) {
      const idle = await sql<{ id: string; incident_id: string; received: string; size: string }[]>`
        SELECT id, incident_id, received, size FROM evidence_uploads
        WHERE state = 'open' AND touched_at < now() - make_interval(secs => ${idleMs / 1000})`;
      let removed = 0;
      for (const u of idle) {
        // One being written to right now (here or by another process) is not idle; the next sweep looks again.
        if (busy.has(u.id)) continue;
        await exclusive(u.id, async () => {
          const gone = await sql`
            DELETE FROM evidence_uploads
            WHERE id = ${u.id} AND state = 'open' AND touched_at < now() - make_interval(secs => ${idleMs / 1000})
            RETURNING id`;
          if (gone.length === 0) return;
          await files.discardUpload(u.id);
          running.get(u.id)?.drop();
          running.delete(u.id);
          removed++;
          logger.info(
            { uploadId: u.id, incidentId: u.incident_id, received: Number(u.received), size: Number(u.size) },
            'removed an evidence upload idle too long',
          );
        }).catch((e: unknown) => {
          // Busy elsewhere, or already gone: nothing to expire.
          if (!(e instanceof DomainError && (e.code === 'conflict' || e.code === 'not_found'))) throw e;
        });
      }
      return removed;
    },

    async list(incidentId) {
      const [items, hold, used] = await Promise.all([listItems(sql, incidentId), legalHold(sql, incidentId), usage(sql, incidentId)]);
      return {
        items,
        legal_hold: hold,
        usage: { incident_bytes: used.incident, incident_quota: opts.quotaIncidentBytes, total_bytes: used.total, total_quota: opts.quotaTotalBytes },
      };
    },

    async get(incidentId, id, who) {
      const item = await mustGet(incidentId, id);
      if (who) await custody.append(event(who, incidentId, id, 'view', ''));
      return item;
    },

    async download(who, incidentId, id, reason, details) {
      const item = await mustGet(incidentId, id);
      if (item.deleted_at) throw new DomainError('not_found', `evidence ${id} was deleted on ${item.deleted_at}`, { deleted_at: item.deleted_at });
      await custody.append(event(who, incidentId, id, 'download', reason, details));
      return { item, content: () => plaintext(item) };
    },

    async verify(incidentId, id) {
      const item = await mustGet(incidentId, id);
      if (item.deleted_at) return 'deleted';
      try {
        const h = createHash('sha256');
        for await (const seg of plaintext(item)) h.update(seg);
        return h.digest('hex') === item.sha256 ? null : `the stored content does not match its SHA-256 ${item.sha256}`;
      } catch (e) {
        if (e instanceof IntegrityError || (e as NodeJS.ErrnoException).code === 'ENOENT') return (e as Error).message;
        throw e;
      }
    },

    async remove(who, incidentId, id, reason) {
      const item = await mustGet(incidentId, id);
      if (item.deleted_at) throw new DomainError('conflict', `evidence ${id} was already deleted on ${item.deleted_at}`);
      const hold = await legalHold(sql, incidentId);
      if (hold)
        throw new DomainError('conflict', `incident ${incidentId} is under legal hold since ${hold.since}: evidence cannot be deleted`, { legal_hold: hold });
      if (item.retention_until && new Date(item.retention_until) > new Date()) {
        throw new DomainError('conflict', `evidence ${id} is retained until ${item.retention_until}`, { retention_until: item.retention_until });
      }
      let removeFile: string | null = null;
      await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${item.sha256}, ${KEYED_LOCK_SEEDS.evidenceBlob}))`;
        await tx`UPDATE evidence_items SET deleted_at = now(), deleted_by = ${who.name}, delete_reason = ${reason} WHERE id = ${id} AND deleted_at IS NULL`;
        const [others] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM evidence_items WHERE sha256 = ${item.sha256} AND deleted_at IS NULL`;
        if ((others?.n ?? 0) === 0) {
          const blob = await getBlob(tx, item.sha256);
          if (blob) {
            await tx`DELETE FROM evidence_blobs WHERE sha256 = ${item.sha256}`;
            removeFile = blob.file_id;
          }
        }
        await custody.append(event(who, incidentId, id, 'delete', reason, { sha256: item.sha256, size: item.size, blob_removed: removeFile !== null }), tx);
      });
      if (removeFile) await files.removeBlob(removeFile);
      return mustGet(incidentId, id);
    },

    async setHold(who, incidentId, reason, held) {
      if (!(await incidentExists(incidentId))) throw new DomainError('not_found', `no incident ${incidentId}`);
      await sql.begin(async (tx) => {
        if (held) {
          await tx`
            INSERT INTO evidence_legal_holds (incident_id, held_by, reason) VALUES (${incidentId}, ${who.name}, ${reason})
            ON CONFLICT (incident_id) DO NOTHING`;
        } else {
          const r = await tx`DELETE FROM evidence_legal_holds WHERE incident_id = ${incidentId}`;
          if (r.count === 0) throw new DomainError('conflict', `incident ${incidentId} is not under legal hold`);
        }
        await custody.append(event(who, incidentId, null, held ? 'hold' : 'release', reason), tx);
      });
      return legalHold(sql, incidentId);
    },

    retention: () => readRetention(sql),

    async setRetention(actor, r) {
      return sql.begin(async (tx) => {
        const before = await readRetention(tx);
        await writeRetention(tx, r);
        const after = await readRetention(tx);
        await audit.append(
          [{ actor, action: 'evidence.retention.update', targetType: 'evidence_settings', targetId: 'retention', details: { before, after } }],
          tx,
        );
        return after;
      });
    },

    contentOf: (item) => plaintext(item),
  };
}
