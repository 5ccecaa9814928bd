/**
 * Which browser origins may open a /sync socket: PUBLIC_URL's origin and ALLOWED_ORIGINS, and,
 * when PUBLIC_URL is unset, the origin the request itself addressed (its Host, or the trusted
 * proxy's X-Forwarded-Host), as the REST CSRF guard does.
 *
 * Why the socket needs it although the cookie is SameSite=Strict: a "site" ignores the port, so
 * a page on another port of the same host is same-site and its websocket carries the cookie;
 * browsers apply no same-origin policy to websockets. Only the Origin header tells them apart.
 */
import { err, ok, type Result } from '../../shared/result.ts';

export interface OriginPolicy {
  /** May a page of `origin` (the Origin header) use this server with its cookie? `host`: what the request addressed. */
  allows(origin: string, host: string | undefined): boolean;
  /** Explicitly configured origins (PUBLIC_URL's, then ALLOWED_ORIGINS), for messages. */
  readonly configured: readonly string[];
}

/** `scheme://host[:port]` of an http(s) URL, or null (anything else, including `null`). */
function originOf(value: string): string | null {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * Parse ALLOWED_ORIGINS: comma-separated origins (`https://ir.example.com,http://localhost:5173`),
 * each a scheme and host with an optional port and nothing after it. The error names the first bad entry.
 */
export function parseAllowedOrigins(s: string): Result<string[], string> {
  const out: string[] = [];
  for (const entry of s
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const origin = originOf(entry);
    if (!origin || origin !== entry.replace(/\/$/, '').toLowerCase()) {
      return err(`"${entry}" is not an origin (scheme://host[:port], http or https, no path)`);
    }
    out.push(origin);
  }
  return ok(out);
}

export function createOriginPolicy(opts: { publicUrl?: string; allowedOrigins?: readonly string[] }): OriginPolicy {
  const publicOrigin = opts.publicUrl ? originOf(opts.publicUrl) : null;
  const configured = [
    ...new Set([...(publicOrigin ? [publicOrigin] : []), ...(opts.allowedOrigins ?? []).map(originOf).filter((o): o is string => o !== null)]),
  ];
  const allowed = new Set(configured);
  return {
    configured,
    allows(origin, host) {
      const o = originOf(origin);
      if (!o) return false;
      if (allowed.has(o)) return true;
      // No PUBLIC_URL: this server is wherever the browser reached it. Host and port are compared,
      // not the scheme, as the REST guard does: behind a TLS proxy the request itself is plain http.
      if (publicOrigin || !host) return false;
      const protocol = new URL(o).protocol;
      return originOf(`${protocol}//${host}`) === o;
    },
  };
}
