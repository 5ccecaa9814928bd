/**
 * Test helper: a `plain` push feed created through the API and filled with `content`, as an
 * admin API token (cookie sessions may only send JSON).
 */
import { expect } from 'vitest';
import type { TestServer } from './test-server.ts';

export async function pushPlainFeed(ts: TestServer, name: string, content: string, confidence = 80): Promise<void> {
  const created = await ts.fetch('/api/v1/feeds', { method: 'POST', json: { name, url: null, format: 'plain', default_confidence: confidence } });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const token = await ts.token('admin');
  const pushed = await ts.fetch(`/api/v1/feeds/${id}/push`, { method: 'POST', as: token, headers: { 'content-type': 'text/plain' }, body: content });
  expect(pushed.status).toBe(200);
}
