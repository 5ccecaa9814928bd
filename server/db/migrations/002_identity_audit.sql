-- 002_identity_audit: users, sessions, invites, API tokens, guest grants, login attempts, and the
-- append-only, hash-chained audit log.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL,
  display_name  text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'analyst', 'lead', 'admin', 'guest')),
  disabled      boolean NOT NULL DEFAULT false,
  -- argon2id PHC string; null until an invited user sets a password, or for OIDC users.
  password_hash text,
  auth_kind     text NOT NULL CHECK (auth_kind IN ('password', 'oidc', 'invited')),
  oidc_subject  text UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- Only the SHA-256 of the random session token is stored.
CREATE TABLE sessions (
  id          uuid PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- Idle expiry, pushed forward on use (at most once a minute), never past max_expires_at.
  expires_at  timestamptz NOT NULL,
  max_expires_at timestamptz NOT NULL,
  revoked_at  timestamptz,
  address     text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- One-time invitation tokens (hashed) to set a password.
CREATE TABLE invites (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX invites_user_idx ON invites (user_id);

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  role         text NOT NULL CHECK (role IN ('viewer', 'analyst', 'lead', 'admin')),
  scopes       text[],
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   uuid NOT NULL REFERENCES users (id),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);

CREATE TABLE guest_grants (
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  incident_id       uuid NOT NULL,
  access            text NOT NULL CHECK (access IN ('read', 'write')),
  evidence_download boolean NOT NULL DEFAULT false,
  expires_at        timestamptz,
  invited_by        uuid REFERENCES users (id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, incident_id)
);
CREATE INDEX guest_grants_incident_idx ON guest_grants (incident_id);

-- Failed logins, for the rate limit that holds across processes.
CREATE TABLE login_attempts (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  email   text NOT NULL,
  address text NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, at);
CREATE INDEX login_attempts_address_idx ON login_attempts (address, at);

-- The audit log: hash = SHA-256(prev_hash || canonical JSON of the other fields). Appends are
-- serialised by an advisory lock, so the chain is linear across processes.
CREATE TABLE audit_log (
  seq         bigserial PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'token', 'system')),
  actor_id    text,
  actor_name  text NOT NULL,
  action      text NOT NULL,
  target_type text NOT NULL,
  target_id   text,
  incident_id text,
  digest      text NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);
CREATE INDEX audit_log_incident_idx ON audit_log (incident_id, seq);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Entries are never changed or removed: enforced here, not only in code.
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();
