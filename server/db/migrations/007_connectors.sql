-- Connector configurations and named secrets for playbook actions (issue 5). Credentials are
-- sealed by server/playbooks/secret-box.ts (AES-256-GCM) before they reach the database; the
-- database never holds a secret in clear.

CREATE TABLE connector_configs (
  name text PRIMARY KEY,
  endpoint text,
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Sealed JSON object { field: value } of the connector's secret fields.
  secrets bytea,
  -- Which secret fields are set (names only, so listing needs no decryption).
  secrets_set text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);

CREATE TABLE named_secrets (
  name text PRIMARY KEY,
  sealed bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);
