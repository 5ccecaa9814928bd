// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { DomainError } from '../../shared/errors.ts';
import { createLogger } from '../logger.ts';
import { createErrorHandler, notFound } from './errors.ts';
import { rejectInvalid } from './validation.ts';

function app(): Hono {
  const a = new Hono();
  a.onError(createErrorHandler(createLogger({ level: 'silent' })));
  a.notFound(notFound);
  a.get('/domain', () => {
    throw new DomainError('conflict', 'cannot move from closed to containment', { allowed: ['triage'] });
  });
  a.get('/boom', () => {
    throw new Error('secret internals');
  });
  a.get('/http', () => {
    throw new HTTPException(413);
  });
  a.post('/json', zValidator('json', z.object({ n: z.number() }).strict(), rejectInvalid), (c) => c.json(c.req.valid('json')));
  return a;
}

describe('error responses', () => {
  it('maps a DomainError to its status and body', async () => {
    const r = await app().request('/domain');
    expect(r.status).toBe(409);
    expect(await r.json()).toEqual({ error: { code: 'conflict', message: 'cannot move from closed to containment', details: { allowed: ['triage'] } } });
  });

  it('hides unexpected errors behind a generic 500', async () => {
    const r = await app().request('/boom');
    expect(r.status).toBe(500);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.message).not.toContain('secret');
  });

  it('maps HTTP exceptions and unknown routes to JSON', async () => {
    expect((await app().request('/http')).status).toBe(413);
    const nf = await app().request('/nowhere');
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers 400 for malformed JSON and for a body that fails validation', async () => {
    const bad = await app().request('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
    const invalid = await app().request('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":"x"}' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toContain('body field "n"');
  });
});
