import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTools, type FakeTools } from '../testing/fake-tools.ts';
import { fakeContext, runAction } from './fake-context.ts';
import { ACTIONS } from './registry.ts';
import { ActionError } from './types.ts';

const TOKEN = 'tok-SECRET-9f8e7d6c5b4a';
let tools: FakeTools;
beforeAll(async () => {
  tools = await startFakeTools();
});
afterAll(() => tools.close());
beforeEach(() => tools.reset());

const run = (raw: unknown, opts: Parameters<typeof fakeContext>[0] = {}) => {
  const ctx = fakeContext({ secrets: { DLP_TOKEN: TOKEN, BASIC: 'svc:pa55word!' }, ...opts });
  return { ctx, out: runAction(ACTIONS, 'http.request', raw, ctx) };
};

async function failure(p: Promise<unknown>): Promise<ActionError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ActionError);
  return e as ActionError;
}

describe('http.request', () => {
  it('sends method, headers and a JSON body with the named secret as bearer auth, and extracts with JSONata', async () => {
    tools.respond('POST /api/v1/cases', { status: 201, body: { case_id: 'C-42', items: [{ n: 1 }, { n: 2 }] } });
    const { ctx, out } = run({
      method: 'POST',
      url: `${tools.url}/api/v1/cases`,
      headers: { 'x-source': 'sentpilot' },
      body: { title: 'exfil', size: 3 },
      auth: { secret: 'DLP_TOKEN', scheme: 'bearer' },
      expect_status: ['2xx'],
      extract: 'body.case_id',
    });
    const result = (await out) as Record<string, unknown>;
    expect(result).toMatchObject({ status: 201, extracted: 'C-42', body: { case_id: 'C-42' } });
    const [call] = tools.calls;
    expect(call).toMatchObject({ method: 'POST', path: '/api/v1/cases', body: { title: 'exfil', size: 3 } });
    expect(call?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(call?.headers['x-source']).toBe('sentpilot');
    expect(call?.headers['idempotency-key']).toBe(ctx.idempotencyKey);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("auth replaces the step's own Authorization header; the step's own Idempotency-Key is kept", async () => {
    await run({
      method: 'POST',
      url: `${tools.url}/h`,
      headers: { Authorization: 'Bearer spoof', 'Idempotency-Key': 'case-77' },
      auth: { secret: 'DLP_TOKEN', scheme: 'bearer' },
    }).out;
    expect(tools.calls[0]?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(tools.calls[0]?.headers['idempotency-key']).toBe('case-77');
  });

  it('supports basic and custom-header auth', async () => {
    await run({ url: `${tools.url}/a`, auth: { secret: 'BASIC', scheme: 'basic' } }).out;
    await run({ url: `${tools.url}/b`, auth: { secret: 'DLP_TOKEN', scheme: 'header', header: 'X-Api-Key' } }).out;
    expect(tools.calls[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('svc:pa55word!').toString('base64')}`);
    expect(tools.calls[1]?.headers['x-api-key']).toBe(TOKEN);
  });

  it('extraction can compute over status and headers and returns plain JSON arrays', async () => {
    tools.respond('GET /list', {
      status: 200,
      body: {
        items: [
          { id: 'a', bad: true },
          { id: 'b', bad: false },
          { id: 'c', bad: true },
        ],
      },
    });
    const out = (await run({ url: `${tools.url}/list`, extract: '{"ok": status = 200, "bad": body.items[bad].id}' }).out) as Record<string, unknown>;
    expect(out['extracted']).toEqual({ ok: true, bad: ['a', 'c'] });
  });

  it('PB13: fails with http_status when the status is not expected: retryable for 5xx and 429, not for 404', async () => {
    tools.failNext('POST /x', 1, 503);
    const e503 = await failure(run({ method: 'POST', url: `${tools.url}/x` }).out);
    expect(e503).toMatchObject({ code: 'http_status', retryable: true });
    expect(e503.message).toMatch(/answered 503, expected 2xx/);
    tools.respond('GET /missing', { status: 404, body: { error: 'nope' } });
    expect(await failure(run({ url: `${tools.url}/missing` }).out)).toMatchObject({ code: 'http_status', retryable: false });
    // ... unless the step expects it.
    expect(await run({ url: `${tools.url}/missing`, expect_status: [200, 404] }).out).toMatchObject({ status: 404 });
    expect(await run({ url: `${tools.url}/missing`, expect_status: ['400-499'] }).out).toMatchObject({ status: 404 });
  });

  it('PB23: never puts the secret in its output or error, even when the tool echoes it', async () => {
    tools.respond('POST /echo', { status: 500, body: { got: `Bearer ${TOKEN}` }, headers: { 'x-echo': TOKEN } });
    const { ctx, out } = run({ method: 'POST', url: `${tools.url}/echo`, auth: { secret: 'DLP_TOKEN', scheme: 'bearer' } });
    const e = await failure(out);
    expect(e.message).toContain('[secret]');
    expect(e.message + JSON.stringify(e.details)).not.toContain(TOKEN);
    tools.respond('GET /echo2', { status: 200, body: { got: TOKEN }, headers: { 'x-echo': TOKEN } });
    const ok = await run({ url: `${tools.url}/echo2`, auth: { secret: 'DLP_TOKEN', scheme: 'bearer' } }).out;
    expect(JSON.stringify(ok)).not.toContain(TOKEN);
    expect(ctx.logLines.join('')).not.toContain(TOKEN);
  });

  it('a missing named secret is not_configured and nothing is sent', async () => {
    const e = await failure(run({ method: 'POST', url: `${tools.url}/x`, auth: { secret: 'NOPE', scheme: 'bearer' } }).out);
    expect(e).toMatchObject({ code: 'not_configured', message: 'secret "NOPE" not configured' });
    expect(tools.calls).toHaveLength(0);
  });

  it('PB16: dry run: a POST is not sent, the output shows what would be (without secret values)', async () => {
    const out = await run({ method: 'POST', url: `${tools.url}/x`, body: 'raw text', auth: { secret: 'DLP_TOKEN', scheme: 'bearer' } }, { dryRun: true }).out;
    expect(out).toMatchObject({ dry_run: true, would: { method: 'POST', url: `${tools.url}/x`, body: 'raw text', auth: { secret: 'DLP_TOKEN' } } });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(tools.calls).toHaveLength(0);
  });

  it('PB11: a repeated attempt with the same idempotency key does not send a non-GET twice', async () => {
    const recorded = new Map();
    const first = await run({ method: 'POST', url: `${tools.url}/once` }, { recorded }).out;
    const again = await run({ method: 'POST', url: `${tools.url}/once` }, { recorded }).out;
    expect(again).toEqual(first);
    expect(tools.callsTo('/once')).toHaveLength(1);
  });

  it('PB12: times out through the abort signal with a retryable timeout error', async () => {
    tools.delay('GET /slow', 2_000);
    const e = await failure(run({ url: `${tools.url}/slow` }, { signal: AbortSignal.timeout(100) }).out);
    expect(e).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('PB23: refuses an answer over 1 MiB', async () => {
    tools.respond('GET /big', { status: 200, body: 'x'.repeat(1024 * 1024 + 10) });
    const e = await failure(run({ url: `${tools.url}/big` }).out);
    expect(e.message).toMatch(/response larger than 1048576 bytes/);
  });

  it('a refused connection is a retryable network error', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    expect(await failure(run({ url: `http://127.0.0.1:${port}/` }).out)).toMatchObject({ code: 'network', retryable: true });
  });

  it('input errors name the field', () => {
    const input = ACTIONS.get('http.request')?.input;
    const bad = (v: unknown) => input?.safeParse(v).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(bad({ url: 'file:///etc/passwd' })).toContain('url');
    expect(bad({ url: 'http://x', extract: 'body.(' })).toContain('extract');
    expect(bad({ url: 'http://x', expect_status: ['abc'] })).toContain('expect_status.0');
    expect(bad({ url: 'http://x', auth: { secret: 'A', scheme: 'header' } })).toContain('auth.header');
  });
});
