/**
 * Roles and what they may do, as one pure function the server enforces and the client uses to
 * hide what a user cannot do. Guests have no global rights: only the grants of the incidents
 * they were invited to.
 */

export const ROLES = ['viewer', 'analyst', 'lead', 'admin', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS = {
  viewer: 'Viewer',
  analyst: 'Analyst',
  lead: 'Lead',
  admin: 'Admin',
  guest: 'Guest',
} as const satisfies Record<Role, string>;

export const ACTIONS = [
  /** Read incidents (list, detail, timeline, documents). */
  'incident:read',
  /** Create incidents and edit them (REST writes, document updates). */
  'incident:write',
  /** Run playbooks that need no approval. */
  'playbook:run',
  /** Approve gated playbook steps. */
  'playbook:approve',
  /** Correct workflow-stamped times (contained, resolved) with a reason. */
  'incident:correct',
  /** Sign off an incident's post-incident review (what the closing gate asks of a lead). */
  'review:signoff',
  /** Manage incident templates, custom fields and the closing gate's setting per category. */
  'template:manage',
  /** Download evidence content. */
  'evidence:download',
  /** Invite guests to an incident. */
  'guest:invite',
  /** Read and verify the audit log. */
  'audit:read',
  /** Manage users. */
  'user:manage',
  /** Manage API tokens. */
  'token:manage',
  /** Manage threat-intel feeds. */
  'feed:manage',
  /** Change settings. */
  'settings:manage',
] as const;
export type Action = (typeof ACTIONS)[number];

const ANALYST: readonly Action[] = ['incident:read', 'incident:write', 'playbook:run', 'evidence:download'];
const LEAD: readonly Action[] = [...ANALYST, 'playbook:approve', 'incident:correct', 'review:signoff', 'template:manage', 'guest:invite', 'audit:read'];

/** Global rights per role (a guest's come only from its incident grants). */
export const ROLE_ACTIONS = {
  viewer: ['incident:read'],
  analyst: ANALYST,
  lead: LEAD,
  admin: ACTIONS,
  guest: [],
} as const satisfies Record<Role, readonly Action[]>;

/** A guest's access to one incident. */
export interface GuestGrant {
  access: 'read' | 'write';
  /** May download evidence of this incident. */
  evidence: boolean;
}

/** Who is asking: a person (session) or an integration (API token). */
export interface Principal {
  kind: 'user' | 'token';
  /** The user (for a token: the admin who created it is not the actor; the token is). */
  id: string;
  name: string;
  role: Role;
  /** A token's scopes narrow its role's rights; null = the role's rights. */
  scopes: readonly Action[] | null;
  /** Guest grants by incident id (empty for other roles). */
  grants: Readonly<Record<string, GuestGrant>>;
}

const INCIDENT_ACTIONS: readonly Action[] = ['incident:read', 'incident:write', 'evidence:download'];

/**
 * May `who` do `action` (on `incidentId`, for incident-scoped actions)? Guests only on the
 * incidents they were invited to; a token never beyond its scopes.
 */
export function can(who: Principal, action: Action, incidentId?: string): boolean {
  if (who.scopes !== null && !who.scopes.includes(action)) return false;
  if (who.role === 'guest') {
    if (!incidentId || !INCIDENT_ACTIONS.includes(action)) return false;
    const grant = Object.hasOwn(who.grants, incidentId) ? who.grants[incidentId] : undefined;
    if (!grant) return false;
    if (action === 'incident:read') return true;
    if (action === 'incident:write') return grant.access === 'write';
    return grant.evidence;
  }
  return (ROLE_ACTIONS[who.role] as readonly Action[]).includes(action);
}
