/**
 * The evidence locker API (mounted under /api/v1; contract in shared/evidence-api.ts). Each
 * handler checks permission before it looks anything up, validates input with zod, and leaves
 * the rest (custody entries, hashing, encryption) to the evidence service. Content always leaves
 * as an attachment of type application/octet-stream with nosniff, never inline.
 */
import { createHash } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { incidentIdParam } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import {
  chunkQuery,
  createEvidenceBody,
  downloadQuery,
  evidenceParams,
  MAX_CHUNK_BYTES,
  MAX_MULTIPART_BYTES,
  reasonBody,
  retentionSchema,
  uploadIdParam,
  type EvidenceItem,
  type EvidenceUpload,
} from '../../shared/evidence-api.ts';
import { can } from '../../shared/permissions.ts';
import { actorOf } from '../audit/audit-types.ts';
import { principalOf, requireAction, type AuthEnv } from '../auth/middleware.ts';
import { bodyTooLarge } from '../http/body-limits.ts';
import { clientAddress } from '../http/forwarded.ts';
import { describeIssues, refuseUnsafeText, rejectInvalid } from '../http/validation.ts';
import type { Logger } from '../logger.ts';
import type { EvidenceService, Who } from './evidence-service.ts';
import { archiveName, INFECTED_PASSWORD, streamOf, zipStream, type ZipEntry } from './zip.ts';

/** Body limit of POST /incidents/{id}/evidence: a small file as multipart, with its form overhead. */
export const EVIDENCE_CREATE_MAX_BYTES = MAX_MULTIPART_BYTES + 64 * 1024;

export interface EvidenceRouteDeps {
  evidence: EvidenceService;
  logger: Logger;
  /** Trusted reverse proxies in front (http/forwarded.ts), for the custody log's address. */
  proxyHops: number;
}

function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const CONTENT_HEADERS = {
  'content-type': 'application/octet-stream',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; sandbox",
} as const;

async function* once(s: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(s);
}

export function createEvidenceRoutes(deps: EvidenceRouteDeps): Hono<AuthEnv> {
  const { evidence, logger } = deps;
  const app = new Hono<AuthEnv>();

  const who = (c: Context<AuthEnv>): Who => {
    const p = principalOf(c);
    return { name: p.name, id: p.id, from: clientAddress(c, deps.proxyHops) };
  };

  /**
   * The open upload, if the caller opened it and may still write to its incident (else 404: ids
   * are not probed). Nobody else can add bytes to, complete or abandon someone's capture.
   */
  async function uploadFor(c: Context<AuthEnv>, id: string): Promise<{ incidentId: string; upload: () => Promise<EvidenceUpload> }> {
    const found = await evidence.findUpload(id);
    const p = principalOf(c);
    if (!found || !can(p, 'incident:write', found.incidentId) || found.createdById !== p.id) throw new DomainError('not_found', `no upload ${id}`);
    return found;
  }

  async function multipartUpload(c: Context<AuthEnv>, incidentId: string): Promise<Response> {
    const length = Number(c.req.header('content-length') ?? NaN);
    if (!Number.isFinite(length)) throw new DomainError('bad_request', 'header "content-length": required for a multipart upload');
    if (length > EVIDENCE_CREATE_MAX_BYTES) {
      throw new DomainError('payload_too_large', `a multipart upload is at most ${MAX_MULTIPART_BYTES} bytes; use the chunked upload for bigger files`, {
        limit: MAX_MULTIPART_BYTES,
      });
    }
    // Read first (a body over its limit stays a 413), then parse: a body that is not a form (no
    // boundary, or parts not delimited by it) is refused by undici with a bare TypeError.
    await c.req.arrayBuffer();
    const form = await c.req.parseBody().catch(() => {
      throw new DomainError('bad_request', 'body: not valid multipart/form-data (the Content-Type needs a boundary, and the parts must be delimited by it)');
    });
    const file = form['file'];
    if (!(file instanceof File)) throw new DomainError('bad_request', 'form field "file": a file is required');
    let json: unknown;
    try {
      json = JSON.parse(typeof form['metadata'] === 'string' ? form['metadata'] : '');
    } catch {
      throw new DomainError('bad_request', 'form field "metadata": expected the metadata as JSON');
    }
    refuseUnsafeText('form', { metadata: json });
    const meta = createEvidenceBody.safeParse(json);
    if (!meta.success)
      throw new DomainError(
        'bad_request',
        describeIssues(
          'form',
          meta.error.issues.map((i) => ({ ...i, path: ['metadata', ...i.path] })),
        ),
      );
    if (file.size !== meta.data.size) throw new DomainError('bad_request', `form field "metadata.size": ${meta.data.size}, but the file is ${file.size} bytes`);
    const w = who(c);
    const { upload } = await evidence.createUpload(w, incidentId, meta.data);
    if (upload.state === 'complete' && upload.evidence_id) return c.json(await evidence.get(incidentId, upload.evidence_id), 200);
    const stream = file.stream() as unknown as AsyncIterable<Uint8Array>;
    if (upload.offset === 0) await evidence.putChunk(upload.id, 0, stream, file.size);
    return c.json(await evidence.complete(w, upload.id), 201);
  }

  // A chunked body is counted here, after authentication (a declared length at the edge).
  const createLimit = bodyLimit({ maxSize: EVIDENCE_CREATE_MAX_BYTES, onError: () => bodyTooLarge(EVIDENCE_CREATE_MAX_BYTES) });
  app.post('/incidents/:id/evidence', zValidator('param', incidentIdParam, rejectInvalid), createLimit, async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:write', id);
    if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) return multipartUpload(c, id);
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      throw new DomainError('bad_request', 'body: expected JSON (the metadata) or multipart/form-data (metadata and file)');
    }
    const body = createEvidenceBody.safeParse(json);
    rejectInvalid({ success: body.success, data: body.success ? body.data : json, error: body.error, target: 'json' });
    const { upload, created } = await evidence.createUpload(who(c), id, body.data as z.infer<typeof createEvidenceBody>);
    return c.json(upload, created ? 201 : 200);
  });

  app.get('/evidence-uploads/:uploadId', zValidator('param', uploadIdParam, rejectInvalid), async (c) => {
    const { uploadId } = c.req.valid('param');
    return c.json(await (await uploadFor(c, uploadId)).upload());
  });

  app.put('/evidence-uploads/:uploadId', zValidator('param', uploadIdParam, rejectInvalid), zValidator('query', chunkQuery, rejectInvalid), async (c) => {
    const { uploadId } = c.req.valid('param');
    const { offset } = c.req.valid('query');
    await uploadFor(c, uploadId);
    const length = c.req.header('content-length');
    // Under @hono/node-server read the Node stream itself (cheaper than its web stream wrapper).
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    const body: AsyncIterable<Uint8Array> & { readableDidRead?: boolean; locked?: boolean } =
      incoming ?? (c.req.raw.body as unknown as AsyncIterable<Uint8Array> & { locked: boolean }) ?? (async function* () {})();
    try {
      return c.json(await evidence.putChunk(uploadId, offset, body, length === undefined ? null : Number(length)));
    } catch (e) {
      // Refused before reading (wrong offset, too big): read the rest so the client gets the
      // answer instead of a reset connection; beyond the chunk limit it is not worth it.
      if (!body.readableDidRead && !body.locked && Number(length ?? Infinity) <= MAX_CHUNK_BYTES) {
        for await (const _ of body) {
          // discard
        }
      }
      throw e;
    }
  });

  app.post('/evidence-uploads/:uploadId/complete', zValidator('param', uploadIdParam, rejectInvalid), async (c) => {
    const { uploadId } = c.req.valid('param');
    await uploadFor(c, uploadId);
    return c.json(await evidence.complete(who(c), uploadId), 201);
  });

  app.delete('/evidence-uploads/:uploadId', zValidator('param', uploadIdParam, rejectInvalid), async (c) => {
    const { uploadId } = c.req.valid('param');
    await uploadFor(c, uploadId);
    await evidence.abandon(uploadId);
    return c.body(null, 204);
  });

  app.get('/incidents/:id/evidence', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    return c.json(await evidence.list(id));
  });

  app.post('/incidents/:id/evidence/export', zValidator('param', incidentIdParam, rejectInvalid), zValidator('json', reasonBody, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const p = requireAction(c, 'evidence:download', id);
    if (p.role !== 'lead' && p.role !== 'admin')
      throw new DomainError('forbidden', `forbidden: only a lead or an admin may export an incident's evidence (your role: ${p.role})`);
    const w = who(c);
    const { items: all } = await evidence.list(id);
    const items = all.filter((i) => !i.deleted_at);
    await evidence.custody.append({
      evidenceId: null,
      incidentId: id,
      action: 'export',
      actor: { name: w.name, id: w.id },
      from: w.from,
      reason,
      details: { items: items.map((i) => i.id) },
    });
    const [custody, chain] = await Promise.all([evidence.custody.forIncident(id), evidence.custody.verify()]);
    // A malware sample goes in as its own zip with the password "infected", as a download would:
    // unpacking the export never puts a live sample on disk. Its hashes are still the sample's.
    const isSample = (i: EvidenceItem): boolean => i.type === 'malware_sample';
    const pathOf = (i: EvidenceItem): string => `files/${i.sha256}-${archiveName(i.file_name)}${isSample(i) ? '.zip' : ''}`;
    const manifest = JSON.stringify(
      {
        incident_id: id,
        exported_at: new Date().toISOString(),
        exported_by: w.name,
        reason,
        custody_verified: chain.ok,
        items: items.map((i) => ({ ...i, path: pathOf(i), ...(isSample(i) ? { packed: `zip with the password "${INFECTED_PASSWORD}"` } : {}) })),
      },
      null,
      2,
    );
    const manifestHash = createHash('sha256').update(manifest).digest('hex');
    const onError = (e: unknown): void => logger.error({ err: e, incident: id }, 'evidence export failed');
    async function* entries(): AsyncGenerator<ZipEntry> {
      for (const i of items) {
        const content = () => evidence.contentOf(i);
        if (!isSample(i)) yield { name: pathOf(i), size: i.size, content };
        else {
          const inner = async function* (): AsyncGenerator<ZipEntry> {
            yield { name: archiveName(i.file_name), size: i.size, content };
          };
          // The inner zip is a little larger than the sample (headers): sized up for the zip64 choice.
          yield { name: pathOf(i), size: i.size + 64 * 1024, content: () => zipStream(inner, { password: INFECTED_PASSWORD, onError }) };
        }
      }
      yield { name: 'manifest.json', size: manifest.length, content: () => once(manifest) };
      yield { name: 'custody.json', size: 0, content: () => once(JSON.stringify({ verified: chain.ok, items: custody }, null, 2)) };
      yield { name: 'manifest.sha256', size: 0, content: () => once(`${manifestHash}  manifest.json\n`) };
    }
    const body = zipStream(entries, { onError });
    return new Response(body, { headers: { ...CONTENT_HEADERS, 'content-disposition': attachment(`evidence-${id}.zip`) } });
  });

  app.get('/incidents/:id/evidence/:evidenceId', zValidator('param', evidenceParams, rejectInvalid), async (c) => {
    const { id, evidenceId } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    return c.json(await evidence.get(id, evidenceId, who(c)));
  });

  app.get(
    '/incidents/:id/evidence/:evidenceId/content',
    zValidator('param', evidenceParams, rejectInvalid),
    zValidator('query', downloadQuery, rejectInvalid),
    async (c) => {
      const { id, evidenceId } = c.req.valid('param');
      const { reason, zip } = c.req.valid('query');
      requireAction(c, 'evidence:download', id);
      const { item, content } = await evidence.download(who(c), id, evidenceId, reason, { zip: zip ?? null });
      const onError = (e: unknown): void => logger.error({ err: e, evidence: evidenceId }, 'evidence download aborted: the stored content failed verification');
      if (zip === 'infected') {
        const body = zipStream(
          async function* () {
            yield { name: archiveName(item.file_name), size: item.size, content };
          },
          { password: INFECTED_PASSWORD, onError },
        );
        return new Response(body, { headers: { ...CONTENT_HEADERS, 'content-disposition': attachment(`${item.file_name}.zip`) } });
      }
      // An error (IntegrityError) aborts the response instead of ending it.
      return new Response(streamOf(content, onError), {
        headers: {
          ...CONTENT_HEADERS,
          'content-length': String(item.size),
          'content-disposition': attachment(item.file_name),
          'x-evidence-sha256': item.sha256,
        },
      });
    },
  );

  app.get('/incidents/:id/evidence/:evidenceId/custody', zValidator('param', evidenceParams, rejectInvalid), async (c) => {
    const { id, evidenceId } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    await evidence.get(id, evidenceId);
    const [items, chain] = await Promise.all([evidence.custody.forEvidence(evidenceId), evidence.custody.verify()]);
    return c.json({ items, verified: chain.ok, problem: chain.ok ? null : `custody entry ${chain.first_broken.seq}: ${chain.first_broken.reason}` });
  });

  app.post('/incidents/:id/evidence/:evidenceId/verify', zValidator('param', evidenceParams, rejectInvalid), async (c) => {
    const { id, evidenceId } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    const problem = await evidence.verify(id, evidenceId);
    return c.json({ verified: problem === null, problem });
  });

  app.delete(
    '/incidents/:id/evidence/:evidenceId',
    zValidator('param', evidenceParams, rejectInvalid),
    zValidator('json', reasonBody, rejectInvalid),
    async (c) => {
      const { id, evidenceId } = c.req.valid('param');
      const p = requireAction(c, 'settings:manage');
      if (p.role !== 'admin')
        throw new DomainError('forbidden', `forbidden: only an admin may delete evidence (your role: ${p.role})`, { action: 'settings:manage' });
      return c.json(await evidence.remove(who(c), id, evidenceId, c.req.valid('json').reason));
    },
  );

  const holdRoute = (held: boolean) =>
    app[held ? 'put' : 'delete'](
      '/incidents/:id/legal-hold',
      zValidator('param', incidentIdParam, rejectInvalid),
      zValidator('json', reasonBody, rejectInvalid),
      async (c) => {
        const { id } = c.req.valid('param');
        const p = requireAction(c, 'incident:write', id);
        if (p.role !== 'lead' && p.role !== 'admin')
          throw new DomainError('forbidden', `forbidden: only a lead or an admin may ${held ? 'place' : 'release'} a legal hold (your role: ${p.role})`);
        return c.json({ legal_hold: await evidence.setHold(who(c), id, c.req.valid('json').reason, held) });
      },
    );
  holdRoute(true);
  holdRoute(false);

  app.get('/evidence-retention', async (c) => {
    requireAction(c, 'settings:manage');
    return c.json(await evidence.retention());
  });

  app.put('/evidence-retention', zValidator('json', retentionSchema.strict(), rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    return c.json(await evidence.setRetention(actorOf(p), c.req.valid('json')));
  });

  return app;
}
