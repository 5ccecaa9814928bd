/**
 * The HTTP machinery every outgoing action shares (http.request, the security-tool connectors,
 * Slack/Teams notifications): send with the step's abort signal, read at most 1 MiB of the
 * answer, parse JSON when it is JSON, check the status against what the step expects, and turn
 * every failure into an ActionError whose message never carries a secret (known secret values
 * are scrubbed from anything that could echo them).
 */
import { z } from 'zod';
import { ActionError, type ActionContext, type Json } from './types.ts';

const MAX_RESPONSE_BYTES = 1024 * 1024;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: Json | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer says it is JSON (and parses), else the text. */
  body: Json;
}

/**
 * Expected statuses: exact codes (`200`), classes (`"2xx"`) or ranges (`"200-299"`).
 * Default: any 2xx.
 */
export const expectedStatusSchema = z
  .array(z.union([z.int().min(100).max(599), z.string().regex(/^([1-5]xx|[1-5]\d\d-[1-5]\d\d)$/, 'use a code, "2xx" or "200-299"')]))
  .min(1)
  .default(['2xx']);

function statusMatches(status: number, expected: readonly (number | string)[]): boolean {
  return expected.some((e) => {
    if (typeof e === 'number') return status === e;
    if (e.endsWith('xx')) return Math.floor(status / 100) === Number(e[0]);
    const [lo, hi] = e.split('-').map(Number) as [number, number];
    return status >= lo && status <= hi;
  });
}

/** Replace every known secret value (and its base64 form) in a string. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of [s, Buffer.from(s).toString('base64')]) out = out.split(form).join('[secret]');
  }
  return out;
}

function scrubJson(v: Json, secrets: readonly string[]): Json {
  if (!secrets.length) return v;
  return JSON.parse(scrub(JSON.stringify(v), secrets)) as Json;
}

async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ActionError('failed', `response larger than ${limit} bytes`, false);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function abortError(ctx: ActionContext): ActionError {
  const reason = ctx.signal.reason instanceof Error ? ctx.signal.reason.message : String(ctx.signal.reason ?? 'aborted');
  return new ActionError('timeout', `request aborted: ${reason}`);
}

/**
 * Send one request. Network failures and aborts become `network` / `timeout` ActionErrors; the
 * status is not checked here (see `expectStatus`). `secrets` are scrubbed from errors and the body.
 */
export async function sendHttp(ctx: ActionContext, req: HttpRequest, secrets: readonly string[] = []): Promise<HttpResponse> {
  if (ctx.signal.aborted) throw abortError(ctx);
  const headers = new Headers(req.headers);
  let body: string | undefined;
  if (req.body !== undefined && req.body !== null && req.method !== 'GET' && req.method !== 'HEAD') {
    if (typeof req.body === 'string') body = req.body;
    else {
      body = JSON.stringify(req.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }
  let res: Response;
  try {
    res = await ctx.services.fetch(req.url, { method: req.method, headers, body, signal: ctx.signal, redirect: 'manual' });
  } catch (e) {
    if (ctx.signal.aborted) throw abortError(ctx);
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new ActionError('network', scrub(`${req.method} ${safeUrl(req.url)} failed: ${cause}`, secrets));
  }
  let text: string;
  try {
    text = await readCapped(res, MAX_RESPONSE_BYTES);
  } catch (e) {
    if (ctx.signal.aborted) throw abortError(ctx);
    if (e instanceof ActionError) throw e;
    throw new ActionError('network', scrub(`reading the answer of ${safeUrl(req.url)} failed: ${(e as Error).message}`, secrets));
  }
  let parsed: Json = text;
  if (/\bjson\b/i.test(res.headers.get('content-type') ?? '') && text.trim()) {
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = text;
    }
  }
  const outHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (k !== 'set-cookie') outHeaders[k] = scrub(v, secrets);
  });
  return { status: res.status, headers: outHeaders, body: scrubJson(parsed, secrets) };
}

/** Throw `http_status` (retryable for 429 and 5xx) unless the status is expected. */
export function expectStatus(res: HttpResponse, expected: readonly (number | string)[], what: string): void {
  if (statusMatches(res.status, expected)) return;
  const snippet = (typeof res.body === 'string' ? res.body : JSON.stringify(res.body)).slice(0, 300);
  throw new ActionError(
    'http_status',
    `${what} answered ${res.status}, expected ${expected.join(', ')}${snippet ? `: ${snippet}` : ''}`,
    res.status === 429 || res.status >= 500,
    {
      status: res.status,
    },
  );
}

/** The URL without credentials or query string (for messages). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
