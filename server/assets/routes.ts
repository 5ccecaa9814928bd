/**
 * Asset inventory routes (under /api/v1): list/read with incident:read; create, patch, delete and
 * CSV import with settings:manage (admin). Every write is audited. The import takes `text/csv`
 * (API tokens) or JSON `{ "csv": "..." }` (browser sessions, which must send JSON).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { assetInputSchema, assetPatchSchema, listAssetsQuery, type AssetImportResult } from '../../shared/alerts-api.ts';
import { DomainError } from '../../shared/errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/audit-types.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { bodyTooLarge } from '../http/body-limits.ts';
import { refuseUnsafeText, rejectInvalid } from '../http/validation.ts';
import { deleteAsset, getAsset, listAssets, patchAsset, upsertAssets } from './asset-store.ts';
import { parseAssetCsv } from './csv-import.ts';

const idParam = z.object({ id: z.uuid() });
/** The CSV import's body limit (the edge refuses a declared length over it, the route counts the rest). */
export const MAX_CSV_BYTES = 8 * 1024 * 1024;

export function createAssetRoutes(deps: { sql: Sql; audit: AuditLog }): Hono<AuthEnv> {
  const { sql, audit } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/assets', zValidator('query', listAssetsQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    return c.json(await listAssets(sql, c.req.valid('query')));
  });

  app.get('/assets/:id', zValidator('param', idParam, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const a = await getAsset(sql, c.req.valid('param').id);
    if (!a) throw new DomainError('not_found', `no asset ${c.req.valid('param').id}`);
    return c.json(a);
  });

  app.post('/assets', zValidator('json', assetInputSchema, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const input = c.req.valid('json');
    const asset = await sql.begin(async (tx) => {
      const [a] = await upsertAssets(tx, [input]);
      if (!a) throw new DomainError('internal', 'the asset was not stored');
      await audit.append([{ actor: actorOf(p), action: 'asset.upsert', targetType: 'asset', targetId: a.id, details: input }], tx);
      return a;
    });
    return c.json(asset, 201);
  });

  app.patch('/assets/:id', zValidator('param', idParam, rejectInvalid), zValidator('json', assetPatchSchema, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const asset = await sql.begin(async (tx) => {
      const a = await patchAsset(tx, id, patch);
      if (!a) throw new DomainError('not_found', `no asset ${id}`);
      await audit.append([{ actor: actorOf(p), action: 'asset.update', targetType: 'asset', targetId: id, details: patch }], tx);
      return a;
    });
    return c.json(asset);
  });

  app.delete('/assets/:id', zValidator('param', idParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { id } = c.req.valid('param');
    await sql.begin(async (tx) => {
      const a = await deleteAsset(tx, id);
      if (!a) throw new DomainError('not_found', `no asset ${id}`);
      await audit.append([{ actor: actorOf(p), action: 'asset.delete', targetType: 'asset', targetId: id, details: { kind: a.kind, name: a.name } }], tx);
    });
    return c.body(null, 204);
  });

  app.post('/assets/import', bodyLimit({ maxSize: MAX_CSV_BYTES, onError: () => bodyTooLarge(MAX_CSV_BYTES) }), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > MAX_CSV_BYTES) throw new DomainError('payload_too_large', `the CSV is larger than ${MAX_CSV_BYTES} bytes`);
    const type = c.req.header('content-type') ?? '';
    let text: string;
    if (/^application\/json/i.test(type)) {
      const body = z
        .object({ csv: z.string().max(MAX_CSV_BYTES) })
        .strict()
        .safeParse(await c.req.json().catch(() => null));
      if (!body.success) throw new DomainError('bad_request', 'body field "csv": expected the CSV text as a string');
      text = body.data.csv;
      refuseUnsafeText('json', body.data);
    } else {
      text = await c.req.text();
      refuseUnsafeText('body', text);
    }
    if (text.length > MAX_CSV_BYTES) throw new DomainError('payload_too_large', `the CSV is larger than ${MAX_CSV_BYTES} bytes`);
    const { assets, errors } = parseAssetCsv(text);
    const stored = await sql.begin(async (tx) => {
      const out = await upsertAssets(tx, assets);
      await audit.append(
        [{ actor: actorOf(p), action: 'asset.import', targetType: 'asset', details: { imported: out.length, errors: errors.length, assets } }],
        tx,
      );
      return out;
    });
    const body: AssetImportResult = { imported: stored.length, errors };
    return c.json(body, errors.length && !stored.length ? 400 : 200);
  });

  return app;
}
