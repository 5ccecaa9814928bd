/**
 * The one place that builds error responses: `{ "error": { code, message, details } }` with the
 * status from ERROR_CODES. DomainErrors map directly; Hono's HTTPExceptions (malformed JSON, body
 * limits) and zod errors map by status; anything else is a logged 500 with a generic message.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { DomainError, ERROR_CODES, type ErrorBody, type ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../logger.ts';
import { describeIssues } from './validation.ts';

function errorResponse(c: Context, code: ErrorCode, message: string, details?: unknown): Response {
  const body: ErrorBody = { error: details === undefined ? { code, message } : { code, message, details } };
  return c.json(body, ERROR_CODES[code].status as ContentfulStatusCode);
}

function codeForStatus(status: number): ErrorCode {
  for (const [code, v] of Object.entries(ERROR_CODES)) if (v.status === status) return code as ErrorCode;
  return status >= 500 ? 'internal' : 'bad_request';
}

export function createErrorHandler(logger: Logger): ErrorHandler {
  return (e, c) => {
    if (e instanceof DomainError) return errorResponse(c, e.code, e.message, e.details);
    if (e instanceof ZodError) return errorResponse(c, 'bad_request', describeIssues('input', e.issues), { issues: e.issues });
    if (e instanceof HTTPException && e.status < 500) {
      const code = codeForStatus(e.status);
      const message = e.status === 413 ? 'request body too large' : e.message || code.replace(/_/g, ' ');
      return errorResponse(c, code, message);
    }
    logger.error({ err: e, method: c.req.method, path: c.req.path }, 'request failed');
    return errorResponse(c, 'internal', 'internal server error');
  };
}

export const notFound: NotFoundHandler = (c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
