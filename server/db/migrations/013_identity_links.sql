-- 013_identity_links: who decides a user's role, and when a single sign-on identity was linked.

-- 'oidc': the user was created by a single sign-on login, and each login sets the role its
-- claims map to (OIDC_ROLE_MAP). 'local': the role is set in Sentpilot (an admin, an invitation);
-- an OIDC login never changes it. An admin setting a role makes it 'local'. Guests stay guests
-- whatever the source says.
ALTER TABLE users ADD COLUMN role_source text NOT NULL DEFAULT 'local' CHECK (role_source IN ('local', 'oidc'));

-- Users single sign-on created before this migration: signed in only through it (no password).
-- (Accounts linked by email before it cannot be told apart from those; they keep following
-- the provider's role, as they did.)
UPDATE users SET role_source = 'oidc' WHERE auth_kind = 'oidc' AND password_hash IS NULL AND role <> 'guest';

-- Set when a signed-in user linked an OIDC identity to the account (null: created by it, or none).
ALTER TABLE users ADD COLUMN oidc_linked_at timestamptz;
