-- 006_playbooks: durable playbook runs (server/playbooks/engine). The job queue itself is
-- graphile-worker's own schema (graphile_worker, migrated by the worker); these tables hold
-- what a run is and where it stands, so any server process can pick up any step.

-- One run of one playbook. `definition` is the playbook as it was when the run started, so a
-- reload of the playbooks folder never changes a run in flight.
CREATE TABLE playbook_runs (
  id uuid PRIMARY KEY,
  playbook_id text NOT NULL,
  playbook_name text NOT NULL,
  version text NOT NULL,
  definition jsonb NOT NULL,
  incident_id uuid,
  state text NOT NULL CHECK (state IN ('queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled')),
  dry_run boolean NOT NULL DEFAULT false,
  trigger text NOT NULL CHECK (trigger IN ('manual', 'event', 'webhook')),
  trigger_body jsonb,
  -- Who started it: the principal's name (shown) and `kind:id` (self-approval check, idempotency scope).
  started_by text NOT NULL,
  starter text NOT NULL,
  idempotency_key text,
  -- The expression context's incident and alert at start.
  context jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text,
  UNIQUE (starter, idempotency_key)
);
CREATE INDEX playbook_runs_incident_idx ON playbook_runs (incident_id, created_at DESC);

-- One step of a run; a for_each step has its row (item -1, the whole) and one row per item.
CREATE TABLE playbook_step_runs (
  run_id uuid NOT NULL REFERENCES playbook_runs (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  item int NOT NULL DEFAULT -1,
  state text NOT NULL,
  attempt int NOT NULL DEFAULT 0,
  items_total int,
  input jsonb,
  output jsonb,
  error jsonb,
  lock_key text,
  -- The job allowed to start this step now (a stale or duplicate job finds another token).
  job_token uuid,
  queued_at timestamptz,
  started_at timestamptz,
  deadline timestamptz,
  finished_at timestamptz,
  approval_id uuid,
  PRIMARY KEY (run_id, step_id, item)
);
CREATE INDEX playbook_step_runs_running_idx ON playbook_step_runs (deadline) WHERE state = 'running';

-- Per-target locks (concurrency.key): one step per (action, key value) at a time, any run.
CREATE TABLE playbook_locks (
  lock_key text PRIMARY KEY,
  run_id uuid NOT NULL,
  step_id text NOT NULL,
  item int NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE playbook_approvals (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES playbook_runs (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  incident_id uuid,
  message text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  roles text[] NOT NULL,
  min_approvers int NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  on_timeout text NOT NULL CHECK (on_timeout IN ('reject', 'approve', 'fail')),
  decided_at timestamptz
);
CREATE INDEX playbook_approvals_state_idx ON playbook_approvals (state, requested_at DESC);

CREATE TABLE playbook_approval_decisions (
  approval_id uuid NOT NULL REFERENCES playbook_approvals (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  user_name text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
  reason text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (approval_id, user_id)
);

-- ActionContext.effects.once: an effect recorded for (idempotency key, name) is not done again.
CREATE TABLE playbook_effects (
  idempotency_key text NOT NULL,
  name text NOT NULL,
  output jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (idempotency_key, name)
);

-- Inbound webhooks: the secret (sealed with the server's secret box) and the signatures seen.
CREATE TABLE playbook_webhook_secrets (
  playbook_id text PRIMARY KEY,
  sealed bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);

CREATE TABLE webhook_deliveries (
  signature_hash text PRIMARY KEY,
  playbook_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);

-- Event triggers (server/playbooks/engine/events.ts): the incident status and the alert links
-- the watcher has acted on, so each change starts its playbooks once across every process.
CREATE TABLE playbook_seen_incidents (
  incident_id uuid PRIMARY KEY,
  status text NOT NULL
);

CREATE TABLE playbook_seen_alerts (
  alert_id uuid PRIMARY KEY,
  incident_id uuid NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- The sweeper's look at runs still in flight.
CREATE INDEX playbook_runs_active_idx ON playbook_runs (created_at) WHERE state IN ('queued', 'running', 'waiting_approval');
