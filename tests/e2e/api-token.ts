/**
 * An API client authenticated like an integration (SIEM, chat-ops): an admin API token created
 * through the admin API, sent as `Authorization: Bearer`.
 */
import { request, type APIRequestContext } from 'playwright-core';
import { baseURL } from './browser.ts';

export async function tokenRequest(admin: APIRequestContext, role: 'admin' | 'lead' | 'analyst' = 'admin'): Promise<APIRequestContext> {
  const res = await admin.post('/api/v1/tokens', { data: { name: `e2e ${role} ${Date.now()}`, role } });
  if (!res.ok()) throw new Error(`creating a token failed: ${res.status()} ${await res.text()}`);
  const { secret } = (await res.json()) as { secret: string };
  return request.newContext({ baseURL: baseURL(), extraHTTPHeaders: { authorization: `Bearer ${secret}` } });
}

/** POST JSON and return the parsed body, failing loudly on an error status. */
export async function postJson<T>(req: APIRequestContext, url: string, data: unknown, method: 'POST' | 'PATCH' = 'POST'): Promise<T> {
  const res = method === 'POST' ? await req.post(url, { data }) : await req.patch(url, { data });
  if (!res.ok()) throw new Error(`${method} ${url} failed: ${res.status()} ${await res.text()}`);
  return (await res.json()) as T;
}
