/**
 * The session cookie: HttpOnly, SameSite=Strict, Path=/, Secure when the request came over
 * HTTPS (directly or per X-Forwarded-Proto behind a trusted proxy, http/forwarded.ts).
 */
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { SESSION_COOKIE } from './authenticator.ts';
import { isHttps } from '../http/forwarded.ts';

export function setSessionCookie(c: Context, secret: string, expiresAt: Date, proxyHops: number): void {
  setCookie(c, SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: isHttps(c, proxyHops),
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context, proxyHops: number): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c, proxyHops) });
}
