/**
 * The HTTP side of background sync: POST /api/v1/sync/batch, GET /api/v1/sync/changes and
 * GET /healthz. `fetch` is passed in. Failures are values (see http-json.ts); every answer is
 * parsed with the shared zod schemas.
 */
import { syncBatchResponse, syncChangesResponse, type SyncBatchRequest, type SyncBatchResponse, type SyncChangesResponse } from '../../shared/api.ts';
import type { Result } from '../../shared/result.ts';
import { isTransient, isUnauthenticated, requestJson as call, type ApiFailure, type FetchFn } from './http-json.ts';

export type { ApiFailure, FetchFn };
export { isTransient, isUnauthenticated };

export interface SyncApi {
  batch(request: SyncBatchRequest): Promise<Result<SyncBatchResponse, ApiFailure>>;
  changes(since: number, limit: number): Promise<Result<SyncChangesResponse, ApiFailure>>;
  /** True when the server answers its health check. */
  health(): Promise<boolean>;
}

export function createSyncApi(deps: { fetch: FetchFn; baseUrl?: string; timeoutMs?: number }): SyncApi {
  const base = deps.baseUrl ?? '';
  const timeoutMs = deps.timeoutMs ?? 30_000;
  return {
    batch: (request) =>
      call(
        deps.fetch,
        `${base}/api/v1/sync/batch`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) },
        syncBatchResponse,
        timeoutMs,
      ),
    changes: (since, limit) => call(deps.fetch, `${base}/api/v1/sync/changes?since=${since}&limit=${limit}`, { method: 'GET' }, syncChangesResponse, timeoutMs),
    health: async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5_000);
      try {
        const res = await deps.fetch(`${base}/healthz`, { cache: 'no-store', signal: controller.signal });
        return res.ok;
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
