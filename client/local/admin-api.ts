/**
 * The admin side of the API for the admin, guests and audit pages: users, API tokens, guest
 * invitations and the audit log. Every answer is parsed with the shared schemas; a 401 calls
 * `onUnauthenticated` (the session ended) besides being returned as a failure.
 */
import { z } from 'zod';
import {
  auditListResponse,
  auditVerifyResponse,
  createTokenResponse,
  createUserResponse,
  guestGrantSchema,
  inviteGuestResponse,
  reissueInviteResponse,
  tokenSchema,
  userDirectoryResponse,
  userSchema,
} from '../../shared/auth-api.ts';
import type { Result } from '../../shared/result.ts';
import { isUnauthenticated, requestJson, type ApiFailure, type FetchFn } from './http-json.ts';

export type CreateUserInput = { email: string; display_name: string; role: z.infer<typeof userSchema>['role']; password?: string };
export type PatchUserInput = { role?: z.infer<typeof userSchema>['role']; disabled?: boolean; display_name?: string };
export type CreateTokenInput = {
  name: string;
  role: Exclude<z.infer<typeof tokenSchema>['role'], 'guest'>;
  scopes?: z.infer<typeof tokenSchema>['scopes'] & {};
  expires_at?: string;
};
export type InviteGuestInput = { email: string; display_name: string; access: 'read' | 'write'; evidence_download: boolean; expires_at?: string };
export type AuditFilter = { incident_id?: string; actor?: string; action?: string; from?: string; to?: string; before?: number; limit?: number };
export type GuestGrant = z.infer<typeof guestGrantSchema>;

/** A list as the server sends it: a bare array or `{ items | users | tokens | guests: [...] }`. */
function listOf<T>(item: z.ZodType<T>): z.ZodType<T[]> {
  return z.union([
    z.array(item),
    z.object({ items: z.array(item) }).transform((v) => v.items),
    z.object({ users: z.array(item) }).transform((v) => v.users),
    z.object({ tokens: z.array(item) }).transform((v) => v.tokens),
    z.object({ guests: z.array(item) }).transform((v) => v.guests),
  ]) as z.ZodType<T[]>;
}

const nothing = z.unknown().transform(() => undefined);

export function createAdminApi(deps: { fetch: FetchFn; onUnauthenticated(): void; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? 20_000;
  async function call<T>(method: string, url: string, schema: z.ZodType<T>, body?: unknown): Promise<Result<T, ApiFailure>> {
    const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await requestJson(deps.fetch, url, { ...init, cache: 'no-store' }, schema, timeoutMs);
    if (!res.ok && isUnauthenticated(res.error)) deps.onUnauthenticated();
    return res;
  }
  const enc = encodeURIComponent;
  return {
    listUsers: () => call('GET', '/api/v1/users', listOf(userSchema)),
    createUser: (input: CreateUserInput) => call('POST', '/api/v1/users', createUserResponse, input),
    patchUser: (id: string, patch: PatchUserInput) =>
      call('PATCH', `/api/v1/users/${enc(id)}`, z.union([userSchema, z.object({ user: userSchema }).transform((v) => v.user)]), patch),
    revokeSessions: (id: string) => call('POST', `/api/v1/users/${enc(id)}/revoke-sessions`, nothing, {}),
    /** A new invitation link for a user who has not accepted; the earlier links stop working. */
    reissueInvite: (id: string) => call('POST', `/api/v1/users/${enc(id)}/invite`, reissueInviteResponse, {}),
    /** Active team members (ids, names, roles): the assignee picker. Every reader may ask. */
    userDirectory: () =>
      call(
        'GET',
        '/api/v1/users/directory',
        userDirectoryResponse.transform((v) => v.items),
      ),
    listTokens: () => call('GET', '/api/v1/tokens', listOf(tokenSchema)),
    createToken: (input: CreateTokenInput) => call('POST', '/api/v1/tokens', createTokenResponse, input),
    revokeToken: (id: string) => call('DELETE', `/api/v1/tokens/${enc(id)}`, nothing),
    listGuests: (incidentId: string) => call('GET', `/api/v1/incidents/${enc(incidentId)}/guests`, listOf(guestGrantSchema)),
    inviteGuest: (incidentId: string, input: InviteGuestInput) => call('POST', `/api/v1/incidents/${enc(incidentId)}/guests`, inviteGuestResponse, input),
    revokeGuest: (incidentId: string, userId: string) => call('DELETE', `/api/v1/incidents/${enc(incidentId)}/guests/${enc(userId)}`, nothing),
    audit(filter: AuditFilter) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') q.set(k, String(v));
      return call('GET', `/api/v1/audit-logs?${q.toString()}`, auditListResponse);
    },
    verifyAudit: () => call('GET', '/api/v1/audit-logs/verify', auditVerifyResponse),
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;
