/**
 * The zod schemas of the identity, access and audit API (snake_case on the wire), shared so the
 * client parses exactly what the server sends.
 */
import { z } from 'zod';
import { ACTIONS, ROLES } from './permissions.ts';

const email = z.string().trim().toLowerCase().max(254).pipe(z.email());
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');
/** Passwords: long enough to resist guessing, bounded so hashing cannot be abused. */
export const passwordSchema = z.string().min(12, 'at least 12 characters').max(256);

/** Login accepts any user@host (the first-start admin is admin@localhost, which z.email refuses). */
const loginEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/, 'an email address');
export const loginRequest = z.object({ email: loginEmail, password: z.string().min(1).max(256) }).strict();

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  display_name: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  created_at: z.string(),
  last_login_at: z.string().nullable(),
  /** How the user signs in. */
  auth: z.enum(['password', 'oidc', 'invited']),
});
export type User = z.infer<typeof userSchema>;

export const meResponse = z.object({
  user: userSchema,
  /** When the session ends unless renewed (ISO). */
  session_expires_at: z.string(),
  /** Guest grants by incident id (empty for other roles). */
  grants: z.record(z.string(), z.object({ access: z.enum(['read', 'write']), evidence: z.boolean() })),
  /** Whether single sign-on is configured (the login page shows the button). */
  sso: z.boolean(),
  /** Whether an OIDC identity signs in as this account (else the account menu offers to link one). */
  sso_linked: z.boolean().default(false),
});
export type MeResponse = z.infer<typeof meResponse>;

/**
 * POST /api/v1/auth/oidc/link: the signed-in user links a single sign-on identity to the account.
 * The password is asked again, so a stolen session cannot attach someone else's identity.
 */
export const oidcLinkRequest = z.object({ password: z.string().min(1).max(256) }).strict();
/** Where to send the browser: the provider, which comes back to the callback with the link made. */
export const oidcLinkResponse = z.object({ url: z.string() });

/** GET /api/v1/auth/config: what the login page needs before anyone is logged in. */
export const authConfigResponse = z.object({ sso: z.boolean(), sso_label: z.string().nullable() });

export const createUserRequest = z
  .object({
    email,
    display_name: displayName,
    role: z.enum(ROLES),
    /** Omitted: the user gets a one-time invitation link to set a password. */
    password: passwordSchema.optional(),
  })
  .strict();

export const createUserResponse = z.object({
  user: userSchema,
  /** Shown once: the link the invited user opens to set a password (null if a password was set). */
  invite_url: z.string().nullable(),
});

export const patchUserRequest = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), display_name: displayName.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');

export const acceptInviteRequest = z.object({ token: z.string().min(16).max(200), password: passwordSchema }).strict();

export const tokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(ACTIONS)).nullable(),
  created_at: z.string(),
  created_by: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  /** The first characters of the secret, to recognise it (never the secret). */
  prefix: z.string(),
});
export type ApiToken = z.infer<typeof tokenSchema>;

export const createTokenRequest = z
  .object({
    name: z.string().trim().min(1).max(120),
    role: z.enum(ROLES).exclude(['guest']),
    scopes: z.array(z.enum(ACTIONS)).min(1).max(ACTIONS.length).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** The secret is in this response only; the server keeps its hash. */
export const createTokenResponse = z.object({ token: tokenSchema, secret: z.string() });

export const inviteGuestRequest = z
  .object({
    email,
    display_name: displayName,
    access: z.enum(['read', 'write']),
    evidence_download: z.boolean().default(false),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const guestGrantSchema = z.object({
  user: userSchema,
  incident_id: z.uuid(),
  access: z.enum(['read', 'write']),
  evidence_download: z.boolean(),
  invited_by: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
});

export const inviteGuestResponse = z.object({ grant: guestGrantSchema, invite_url: z.string().nullable() });

const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor_kind: z.enum(['user', 'token', 'system']),
  actor_id: z.string().nullable(),
  actor_name: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  incident_id: z.string().nullable(),
  /** SHA-256 (hex) of the change's canonical form. */
  digest: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuery = z
  .object({
    incident_id: z.uuid().optional(),
    actor: z.string().max(200).optional(),
    action: z.string().max(100).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    /** Entries with seq below this (newest first paging). */
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const auditListResponse = z.object({ items: z.array(auditEntrySchema), next_before: z.number().int().nullable() });

export const auditVerifyResponse = z.union([
  z.object({ ok: z.literal(true), checked: z.number().int(), head: z.string().nullable() }),
  z.object({
    ok: z.literal(false),
    checked: z.number().int(),
    first_broken: z.object({ seq: z.number().int(), reason: z.string() }),
  }),
]);

/** GET /api/v1/users/directory: active team members (not guests), for the assignee picker. */
export const userDirectoryResponse = z.object({
  items: z.array(z.object({ id: z.uuid(), display_name: z.string(), role: z.enum(ROLES) })),
});
export type DirectoryUser = z.infer<typeof userDirectoryResponse>['items'][number];

/** POST /api/v1/users/{id}/invite: a new invitation link (shown once); the unused ones before it are revoked. */
export const reissueInviteResponse = z.object({ user: userSchema, invite_url: z.string(), revoked: z.number().int() });
