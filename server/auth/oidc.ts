/**
 * OpenID Connect single sign-on with openid-client: authorization code flow with PKCE, state and
 * nonce carried in a short-lived signed cookie (HMAC keyed from the client secret, so any server
 * process can finish a flow another started). The role comes from OIDC_ROLE_CLAIM through
 * OIDC_ROLE_MAP (the most privileged match wins), else OIDC_DEFAULT_ROLE (null = refused).
 * Plain-http issuers are allowed only on loopback (tests, local providers). A flow started to
 * link a signed-in account carries that account and its session in the same signed cookie.
 * openid-client (with oauth4webapi and jose) is imported at the first sign-in, not at start, so
 * a server without OIDC never loads it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as OpenIdClient from 'openid-client';
import { once } from '../../shared/once.ts';
import type { Role } from '../../shared/permissions.ts';
import type { Logger } from '../logger.ts';
import type { OidcIdentity, OidcLink, OidcLogin } from './auth-deps.ts';
import type { OidcConfig } from './auth-options.ts';

export const OIDC_COOKIE = 'sp_oidc';
export const OIDC_FLOW_TTL_MS = 10 * 60_000;
const ROLE_RANK: readonly Role[] = ['admin', 'lead', 'analyst', 'viewer', 'guest'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const loadClient: () => Promise<typeof OpenIdClient> = once(() => import('openid-client'));

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  exp: number;
  /** A link flow (explicit, from a signed-in account); absent for a sign-in. */
  link?: OidcLink;
}

const isLink = (v: unknown): v is OidcLink =>
  typeof v === 'object' && v !== null && typeof (v as OidcLink).userId === 'string' && typeof (v as OidcLink).sessionId === 'string';

export function mapRole(claim: unknown, cfg: Pick<OidcConfig, 'roleMap' | 'defaultRole'>): Role | null {
  const values = Array.isArray(claim) ? claim.map(String) : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  const mapped = values.map((v) => (Object.hasOwn(cfg.roleMap, v) ? cfg.roleMap[v] : undefined)).filter((r): r is Role => r !== undefined);
  for (const r of ROLE_RANK) if (mapped.includes(r)) return r;
  return cfg.defaultRole;
}

export function createOidcLogin(deps: { config: OidcConfig; publicUrl: () => string; logger: Logger }): OidcLogin {
  const { config: cfg } = deps;
  const redirectUri = () => `${deps.publicUrl().replace(/\/$/, '')}/api/v1/auth/oidc/callback`;
  const key = createHmac('sha256', 'sentpilot-oidc-flow').update(cfg.clientSecret).digest();
  let discovered: Promise<OpenIdClient.Configuration> | null = null;

  function configuration(): Promise<OpenIdClient.Configuration> {
    const issuer = new URL(cfg.issuer);
    const insecure = issuer.protocol === 'http:';
    if (insecure && !LOOPBACK.has(issuer.hostname))
      return Promise.reject(new Error(`refusing a plain-http OIDC issuer that is not on loopback: ${cfg.issuer}`));
    discovered ??= loadClient()
      .then((client) => client.discovery(issuer, cfg.clientId, cfg.clientSecret, undefined, insecure ? { execute: [client.allowInsecureRequests] } : undefined))
      .catch((e: unknown) => {
        discovered = null; // retry discovery next time
        throw e;
      });
    return discovered;
  }

  const sign = (payload: string): string => createHmac('sha256', key).update(payload).digest('base64url');

  function seal(flow: Flow): string {
    const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
    return `${payload}.${sign(payload)}`;
  }

  function open(cookie: string): Flow | null {
    const [payload, mac] = cookie.split('.');
    if (!payload || !mac) return null;
    const want = Buffer.from(sign(payload));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    try {
      const flow = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Flow;
      return typeof flow.exp === 'number' && flow.exp > Date.now() ? flow : null;
    } catch {
      return null;
    }
  }

  return {
    label: new URL(cfg.issuer).host,
    async start(link) {
      const config = await configuration();
      const client = await loadClient();
      const verifier = client.randomPKCECodeVerifier();
      const flow: Flow = { state: client.randomState(), nonce: client.randomNonce(), verifier, exp: Date.now() + OIDC_FLOW_TTL_MS, ...(link ? { link } : {}) };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri(),
        scope: 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      return { url: url.toString(), cookie: seal(flow) };
    },
    async finish(callbackUrl, cookie): Promise<OidcIdentity> {
      const flow = open(cookie);
      if (!flow) throw new Error('the sign-in flow expired or its cookie is missing; start again');
      const config = await configuration();
      const client = await loadClient();
      // The provider redirected to redirectUri(): validate against that, whatever host we saw.
      const current = new URL(redirectUri());
      current.search = callbackUrl.search;
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the provider returned no ID token');
      const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : null;
      const name = typeof claims.name === 'string' ? claims.name : typeof claims.preferred_username === 'string' ? claims.preferred_username : null;
      return {
        subject: `${claims.iss}|${claims.sub}`,
        email,
        emailVerified: claims.email_verified === true,
        name,
        role: mapRole(claims[cfg.roleClaim], cfg),
        link: isLink(flow.link) ? { userId: flow.link.userId, sessionId: flow.link.sessionId } : null,
      };
    },
  };
}
