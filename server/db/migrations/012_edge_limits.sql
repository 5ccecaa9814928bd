-- 012_edge_limits: the login backoff per (account, address) pair, and the counted refusals of
-- inbound webhooks (audited once per playbook per minute instead of once per request).

-- login_attempts.address now holds the rate-limit key of the address (IPv4, or the IPv6 /64).
-- One row per (account, address key) that has failed since its last success: the consecutive
-- failures decide how long the pair waits before its next attempt (exponential backoff).
CREATE TABLE login_pairs (
  email    text NOT NULL,
  address  text NOT NULL,
  failures integer NOT NULL,
  last_at  timestamptz NOT NULL,
  PRIMARY KEY (email, address)
);
CREATE INDEX login_pairs_last_idx ON login_pairs (last_at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);

-- Refused webhook deliveries, counted per playbook, minute and client address (rate-limit key).
-- `audited` is how many of `count` are already in the audit log: a summary entry per playbook
-- and minute carries the difference, so the audit log grows with minutes, not with requests.
CREATE TABLE webhook_refusals (
  playbook_id text NOT NULL,
  minute      timestamptz NOT NULL,
  address     text NOT NULL,
  count       integer NOT NULL,
  audited     integer NOT NULL DEFAULT 0,
  reasons     jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (playbook_id, minute, address)
);
CREATE INDEX webhook_refusals_pending_idx ON webhook_refusals (minute) WHERE count > audited;
