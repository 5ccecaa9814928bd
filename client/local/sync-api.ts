/**
 * The HTTP side of background sync: POST /api/v1/sync/batch, GET /api/v1/sync/changes and
 * GET /healthz. `fetch` is passed in. Failures are values: `network` (offline or the server is
 * unreachable), `http` (the server answered with an error body) or `invalid` (an answer that
 * does not parse); every answer is parsed with the shared zod schemas.
 */
import { z } from 'zod';
import {
  syncBatchResponse,
  syncChangesResponse,
  type SyncBatchRequest,
  type SyncBatchResponse,
  type SyncChangesResponse,
} from '../../shared/api.ts';
import { err, ok, type Result } from '../../shared/result.ts';

export type ApiFailure =
  | { kind: 'network'; message: string }
  | { kind: 'http'; status: number; code: string; message: string }
  | { kind: 'invalid'; message: string };

export interface SyncApi {
  batch(request: SyncBatchRequest): Promise<Result<SyncBatchResponse, ApiFailure>>;
  changes(since: number, limit: number): Promise<Result<SyncChangesResponse, ApiFailure>>;
  /** True when the server answers its health check. */
  health(): Promise<boolean>;
}

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** True for failures worth retrying later (offline, restarting, overloaded). */
export function isTransient(failure: ApiFailure): boolean {
  return failure.kind === 'network' || (failure.kind === 'http' && (failure.status >= 500 || failure.status === 429 || failure.status === 408));
}

async function call<T>(fetchFn: FetchFn, url: string, init: RequestInit, schema: z.ZodType<T>, timeoutMs: number): Promise<Result<T, ApiFailure>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, signal: controller.signal, credentials: 'same-origin' });
  } catch (e) {
    return err({ kind: 'network', message: e instanceof Error ? e.message : 'network error' });
  } finally {
    clearTimeout(timer);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const parsed = errorBody.safeParse(body);
    return err({
      kind: 'http',
      status: res.status,
      code: parsed.success ? parsed.data.error.code : `http_${res.status}`,
      message: parsed.success ? parsed.data.error.message : `The server answered ${res.status}.`,
    });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return err({ kind: 'invalid', message: `Unexpected answer from ${url}` });
  return ok(parsed.data);
}

export function createSyncApi(deps: { fetch: FetchFn; baseUrl?: string; timeoutMs?: number }): SyncApi {
  const base = deps.baseUrl ?? '';
  const timeoutMs = deps.timeoutMs ?? 30_000;
  return {
    batch: (request) =>
      call(deps.fetch, `${base}/api/v1/sync/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) }, syncBatchResponse, timeoutMs),
    changes: (since, limit) =>
      call(deps.fetch, `${base}/api/v1/sync/changes?since=${since}&limit=${limit}`, { method: 'GET' }, syncChangesResponse, timeoutMs),
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
