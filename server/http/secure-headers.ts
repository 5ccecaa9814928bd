/**
 * Security headers on every response (the PWA, the API, errors), with Hono's secureHeaders,
 * mounted first in app.ts. The Content-Security-Policy fits what the built PWA needs and no
 * more: its scripts, styles, manifest, icons and service worker (sw.js, workbox-*.js) are files
 * from this origin, and `vite build` writes no inline script (nor may anything eval: Zod is told
 * not to try, client/zod-jitless.ts). Style attributes are refused; Solid sets dynamic styles
 * through the CSSOM (`element.style`), which the policy does not govern. Inline <style> elements
 * are allowed (style-src-elem): CodeMirror (style-mod) writes its themes into one on a document,
 * and a nonce cannot be used because the service worker serves a precached index.html. With
 * images, fonts and connections held to this origin, injected CSS could not send anything out.
 * CodeMirror's theme draws a few images as data: URLs. The app talks
 * only to its own origin: fetch ('self') and the sync websocket (ws/wss of this host, named
 * explicitly because browsers before CSP 3 do not count ws: as 'self'). Nothing may frame it.
 * A route that sets its own policy keeps it (the API reference page allows its one inline style
 * by hash, openapi/routes.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { requestHost } from './forwarded.ts';

const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** The websocket origins of the host the browser addressed (behind trusted proxies, theirs). */
function websocketSources(proxyHops: number): (c: Context) => string {
  return (c) => {
    const host = requestHost(c, proxyHops) ?? '';
    return HOST.test(host) ? `ws://${host} wss://${host}` : '';
  };
}

export function securityHeaders(opts: { proxyHops: number }): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      styleSrcElem: ["'self'", "'unsafe-inline'"],
      styleSrcAttr: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", websocketSources(opts.proxyHops)],
      workerSrc: ["'self'"],
      manifestSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    // Full URLs (incident ids) stay on this origin; same-origin form posts keep their Origin,
    // which the CSRF check needs (no-referrer would turn it into "null").
    referrerPolicy: 'same-origin',
    overwrite: false,
  });
}
