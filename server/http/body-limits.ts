/**
 * Request body limits at the edge: mounted first in app.ts, before authentication, so an
 * anonymous client cannot make the server read more than a route accepts. Each request is held
 * to the first rule matching its method and path (else `DEFAULT_BODY_LIMIT`) and refused with
 * 413 `payload_too_large` through the one onError.
 *
 * - Rules counted here (the default; small limits: the JSON API, login, webhooks) use Hono's
 *   bodyLimit: a declared Content-Length over the limit is refused before a byte is read, and a
 *   chunked body is counted as it arrives and refused the moment it passes the limit, while the
 *   client is still sending (so at most the limit is ever held in memory). A body with a
 *   Content-Length is not counted again: Node's HTTP parser never delivers more than the bytes
 *   it declares (anything after them is parsed as the next request on the connection).
 * - Rules with `countedBy: 'route'` (large limits: alert batches, the sync batch, feed pushes,
 *   evidence, asset import): a declared Content-Length over the limit is refused here; a chunked
 *   body is counted by the route itself (its own bodyLimit, or a streaming count) once the caller
 *   is authenticated, so only someone logged in can make the server buffer tens of MiB.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PatternRouter } from 'hono/router/pattern-router';
import { DomainError } from '../../shared/errors.ts';

/** The JSON API's limit where no rule says otherwise. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface BodyLimitRule {
  /** A Hono path pattern from the app root: `/api/v1/feeds/:id/push`, `/api/v1/auth/*`. */
  path: string;
  /** Default: every method. */
  method?: string;
  maxBytes: number;
  /** 'route': only a declared length is checked here; the route counts a chunked body. */
  countedBy?: 'edge' | 'route';
  /** What to do instead, appended to the message. */
  hint?: string;
}

/** The 413 every body limit answers (also for the routes' own bodyLimit). */
export function bodyTooLarge(maxBytes: number, hint?: string): never {
  throw new DomainError('payload_too_large', `request body larger than ${maxBytes} bytes${hint ? `; ${hint}` : ''}`, { limit: maxBytes });
}

export function edgeBodyLimit(rules: readonly BodyLimitRule[], defaultBytes = DEFAULT_BODY_LIMIT): MiddlewareHandler {
  const router = new PatternRouter<{ rule: BodyLimitRule; counter: MiddlewareHandler | null }>();
  const counter = (maxBytes: number, hint?: string): MiddlewareHandler => bodyLimit({ maxSize: maxBytes, onError: () => bodyTooLarge(maxBytes, hint) });
  for (const rule of rules)
    router.add(rule.method?.toUpperCase() ?? 'ALL', rule.path, { rule, counter: rule.countedBy === 'route' ? null : counter(rule.maxBytes, rule.hint) });
  const fallback = counter(defaultBytes);

  return async (c: Context, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const match = router.match(c.req.method, c.req.path)[0][0]?.[0];
    if (!match) return fallback(c, next);
    if (match.counter) return match.counter(c, next);
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > match.rule.maxBytes) bodyTooLarge(match.rule.maxBytes, match.rule.hint);
    return next();
  };
}
