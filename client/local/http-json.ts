/**
 * One JSON call to the server with `fetch` passed in: a timeout, the shared error body
 * (`{ error: { code, message } }`) read into a value, and the answer parsed with a zod schema.
 * Failures are values: `network` (offline or unreachable), `http` (the server answered with an
 * error) or `invalid` (an answer that does not parse).
 */
import { z } from 'zod';
import { err, ok, type Result } from '../../shared/result.ts';

export type ApiFailure =
  | { kind: 'network'; message: string }
  | { kind: 'http'; status: number; code: string; message: string; retryAfter?: number }
  | { kind: 'invalid'; message: string };

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** True for failures worth retrying later (offline, restarting, overloaded). */
export function isTransient(failure: ApiFailure): boolean {
  return failure.kind === 'network' || (failure.kind === 'http' && (failure.status >= 500 || failure.status === 429 || failure.status === 408));
}

/** True when the server says the session (or token) is missing, expired or revoked. */
export function isUnauthenticated(failure: ApiFailure): boolean {
  return failure.kind === 'http' && failure.status === 401;
}

export async function requestJson<T>(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  schema: z.ZodType<T>,
  timeoutMs: number,
): Promise<Result<T, ApiFailure>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let res: Response;
  let body: unknown = null;
  try {
    res = await fetchFn(url, { ...init, signal: controller.signal, credentials: 'same-origin' });
    if (res.status !== 204) {
      try {
        body = await res.json();
      } catch {
        body = null;
      }
    }
  } catch (e) {
    return err({ kind: 'network', message: e instanceof Error ? e.message : 'network error' });
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    const parsed = errorBody.safeParse(body);
    const retry = Number(res.headers.get('retry-after'));
    return err({
      kind: 'http',
      status: res.status,
      code: parsed.success ? parsed.data.error.code : `http_${res.status}`,
      message: parsed.success ? parsed.data.error.message : `The server answered ${res.status}.`,
      ...(Number.isFinite(retry) && retry > 0 ? { retryAfter: retry } : {}),
    });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return err({ kind: 'invalid', message: `Unexpected answer from ${url}` });
  return ok(parsed.data);
}
