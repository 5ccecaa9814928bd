/**
 * The one table of domain error codes. The server's `app.onError` maps each to its HTTP
 * status; clients branch on the code, never on the message.
 */
export const ERROR_CODES = {
  /** The request body, query or path parameter failed validation. */
  bad_request: { status: 400 },
  /** The body is larger than the endpoint accepts. */
  payload_too_large: { status: 413 },
  /** No valid session or token. */
  unauthenticated: { status: 401 },
  /** Authenticated, but the role or grant does not allow this. */
  forbidden: { status: 403 },
  /** The target does not exist (checked only after permission). */
  not_found: { status: 404 },
  /** The change conflicts with the current state (e.g. a refused workflow transition). */
  conflict: { status: 409 },
  /** Well-formed but semantically invalid (a value a definition refuses, an unknown regulation). */
  unprocessable: { status: 422 },
  /** Too many attempts; retry later. */
  rate_limited: { status: 429 },
  /** The server failed unexpectedly; nothing was changed. */
  internal: { status: 500 },
  /**
   * The change is in the incident's document (devices see it), but the REST rows could not be
   * brought up to date; reads may show the previous state until a later projection succeeds.
   */
  not_projected: { status: 500 },
  /** A dependency (the database) is not reachable. */
  unavailable: { status: 503 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** A domain error: thrown in handlers, turned into an ErrorBody by the one error handler. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
