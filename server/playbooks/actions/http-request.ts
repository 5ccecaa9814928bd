/**
 * http.request: a generic outgoing HTTP call. Inputs arrive with their templates already rendered
 * by the engine. Auth comes from a named secret (admin-managed, sealed at rest):
 * `bearer` → `Authorization: Bearer <v>`, `basic` → `Authorization: Basic base64(<v>)` (the
 * secret holds `user:password`), `header` → `<header>: <v>`. The status must match `expect_status`
 * (default any 2xx); `extract` is a JSONata expression over `{ status, headers, body }` (run in
 * the playbook expression sandbox of expr.ts) whose value becomes `output.extracted`. Anything but GET/HEAD is an outside effect: not sent in a
 * dry run, sent once per idempotency key (`Idempotency-Key` header, `ctx.effects.once`).
 * The secret's value never appears in the output or an error.
 */
import { z } from 'zod';
import { SECRET_NAME_RE } from '../../../shared/playbooks-api.ts';
import { compileExpression, evaluate } from '../expr.ts';
import { SecretBoxError } from '../secret-box.ts';
import { expectedStatusSchema, expectStatus, HTTP_METHODS, safeUrl, sendHttp, type HttpResponse } from './http-client.ts';
import { ActionError, defineAction, type ActionContext, type Json } from './types.ts';

/** A 1 MiB answer may take longer to walk than a guard (expr.ts default: 100 ms). */
const EXTRACT_TIMEOUT_MS = 1_000;

const jsonValue: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

const httpRequestInput = z
  .object({
    method: z.enum(HTTP_METHODS).default('GET'),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a header name'), z.string().max(8_192)).default({}),
    body: jsonValue.optional(),
    auth: z
      .object({
        secret: z.string().regex(SECRET_NAME_RE, 'not a secret name'),
        scheme: z.enum(['bearer', 'basic', 'header']).default('bearer'),
        header: z
          .string()
          .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
          .optional(),
      })
      .strict()
      .refine((a) => a.scheme !== 'header' || a.header !== undefined, { message: 'scheme "header" needs header', path: ['header'] })
      .optional(),
    expect_status: expectedStatusSchema,
    extract: z.string().min(1).max(4_000).optional(),
  })
  .strict()
  .superRefine((i, c) => {
    if (i.extract === undefined) return;
    const compiled = compileExpression(i.extract);
    if (!compiled.ok) c.addIssue({ code: 'custom', path: ['extract'], message: `bad JSONata: ${compiled.error}` });
  });
type HttpRequestInput = z.infer<typeof httpRequestInput>;

async function authHeaders(ctx: ActionContext, auth: HttpRequestInput['auth']): Promise<{ headers: Record<string, string>; secret: string | null }> {
  if (!auth) return { headers: {}, secret: null };
  let value: string | null;
  try {
    value = await ctx.services.secret(auth.secret);
  } catch (e) {
    if (e instanceof SecretBoxError) throw new ActionError('not_configured', `secret "${auth.secret}" cannot be decrypted (was SECRETS_KEY changed?)`);
    throw e;
  }
  if (value === null) throw new ActionError('not_configured', `secret "${auth.secret}" not configured`);
  if (auth.scheme === 'bearer') return { headers: { authorization: `Bearer ${value}` }, secret: value };
  if (auth.scheme === 'basic') return { headers: { authorization: `Basic ${Buffer.from(value).toString('base64')}` }, secret: value };
  return { headers: { [auth.header as string]: value }, secret: value };
}

const hasHeader = (h: Record<string, string>, name: string): boolean => Object.keys(h).some((k) => k.toLowerCase() === name);

function withHeaders(base: Record<string, string>, over: Record<string, string>): Record<string, string> {
  const names = new Set(Object.keys(over).map((k) => k.toLowerCase()));
  return { ...Object.fromEntries(Object.entries(base).filter(([k]) => !names.has(k.toLowerCase()))), ...over };
}

/** Evaluate `extract` with the playbook expression sandbox (time and depth limits, plain JSON out). */
async function extract(expr: string, res: HttpResponse): Promise<Json> {
  const compiled = compileExpression(expr);
  if (!compiled.ok) throw new ActionError('invalid_input', `extract: ${compiled.error}`);
  try {
    return ((await evaluate(compiled.value, res, { timeoutMs: EXTRACT_TIMEOUT_MS })) ?? null) as Json;
  } catch (e) {
    throw new ActionError('failed', `extract: ${(e as Error).message}`);
  }
}

export const httpRequest = defineAction({
  name: 'http.request',
  description: 'Send an HTTP request (auth from a named secret, expected status, JSONata extraction).',
  input: httpRequestInput,
  effect: true,
  run: async (i, ctx) => {
    const reads = i.method === 'GET' || i.method === 'HEAD';
    if (ctx.dryRun && !reads) {
      return {
        dry_run: true,
        would: {
          method: i.method,
          url: i.url,
          headers: i.headers,
          body: i.body ?? null,
          auth: i.auth ? { secret: i.auth.secret, scheme: i.auth.scheme } : null,
        },
      };
    }
    const send = async (): Promise<Json> => {
      const { headers: auth, secret } = await authHeaders(ctx, i.auth);
      // Auth replaces a same-named header from the step; a step's own Idempotency-Key is kept.
      const headers = withHeaders(i.headers, auth);
      if (!reads && !hasHeader(headers, 'idempotency-key')) headers['idempotency-key'] = ctx.idempotencyKey;
      const secrets = secret ? [secret] : [];
      const res = await sendHttp(ctx, { method: i.method, url: i.url, headers, body: i.body }, secrets);
      expectStatus(res, i.expect_status, `${i.method} ${safeUrl(i.url)}`);
      const out: { [k: string]: Json } = { status: res.status, headers: res.headers, body: res.body };
      if (i.extract !== undefined) out['extracted'] = await extract(i.extract, res);
      return out;
    };
    return reads ? send() : ctx.effects.once('http.request', send);
  },
});
