/**
 * Who did something, as the audit log records it: a person (session), an integration (API
 * token) or the server itself (automation, key assignment).
 */
import type { Principal } from '../../shared/permissions.ts';

export interface AuditActor {
  kind: 'user' | 'token' | 'system';
  id: string | null;
  name: string;
}

export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: null, name: 'system' };

export function actorOf(p: Principal): AuditActor {
  return { kind: p.kind, id: p.id, name: p.name };
}

/** One entry to append (the log adds seq, time and the hashes). */
export interface AuditEvent {
  actor: AuditActor;
  action: string;
  targetType: string;
  targetId?: string | null;
  incidentId?: string | null;
  /** SHA-256 hex of the change; omitted = of the canonical JSON of `details`. */
  digest?: string;
  /** What changed (hashed into the digest, not stored). */
  details?: unknown;
}
