// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { ACTIONS, can, ROLES, type Principal, type Role } from './permissions.ts';

const who = (role: Role, extra: Partial<Principal> = {}): Principal => ({ kind: 'user', id: 'u1', name: 'U', role, scopes: null, grants: {}, ...extra });
const INC = '0190e5a0-0000-7000-8000-000000000001';
const OTHER = '0190e5a0-0000-7000-8000-000000000002';

describe('permissions', () => {
  it('a viewer reads but never writes', () => {
    expect(can(who('viewer'), 'incident:read', INC)).toBe(true);
    expect(can(who('viewer'), 'incident:write', INC)).toBe(false);
  });

  it('an analyst writes incidents and runs playbooks but cannot approve or manage users', () => {
    const a = who('analyst');
    expect(can(a, 'incident:write', INC)).toBe(true);
    expect(can(a, 'playbook:run')).toBe(true);
    expect(can(a, 'playbook:approve')).toBe(false);
    expect(can(a, 'user:manage')).toBe(false);
    expect(can(a, 'audit:read')).toBe(false);
  });

  it('a lead approves and reads the audit log; only an admin manages users and tokens', () => {
    expect(can(who('lead'), 'playbook:approve')).toBe(true);
    expect(can(who('lead'), 'audit:read')).toBe(true);
    expect(can(who('lead'), 'token:manage')).toBe(false);
    for (const action of ACTIONS) expect(can(who('admin'), action, INC)).toBe(true);
  });

  it('a guest reaches only the incidents it was invited to, as invited', () => {
    const g = who('guest', { grants: { [INC]: { access: 'read', evidence: false } } });
    expect(can(g, 'incident:read', INC)).toBe(true);
    expect(can(g, 'incident:write', INC)).toBe(false);
    expect(can(g, 'evidence:download', INC)).toBe(false);
    expect(can(g, 'incident:read', OTHER)).toBe(false);
    expect(can(g, 'incident:read')).toBe(false);
    const w = who('guest', { grants: { [INC]: { access: 'write', evidence: true } } });
    expect(can(w, 'incident:write', INC)).toBe(true);
    expect(can(w, 'evidence:download', INC)).toBe(true);
    expect(can(w, 'playbook:run', INC)).toBe(false);
    // Inherited properties are not grants.
    expect(can(g, 'incident:read', 'toString')).toBe(false);
    expect(can(g, 'incident:read', 'constructor')).toBe(false);
  });

  it("a token's scopes narrow its role", () => {
    const t = who('admin', { kind: 'token', scopes: ['incident:write', 'incident:read'] });
    expect(can(t, 'incident:write', INC)).toBe(true);
    expect(can(t, 'user:manage')).toBe(false);
    const v = who('viewer', { kind: 'token', scopes: ['incident:write'] });
    expect(can(v, 'incident:write', INC)).toBe(false);
  });

  it('every role is covered', () => {
    for (const r of ROLES) expect(typeof can(who(r), 'incident:read', INC)).toBe('boolean');
  });
});
