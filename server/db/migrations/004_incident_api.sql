-- 004_incident_api: what the full incident API projects (related incidents, risk, breach clock,
-- SLA deadlines, the triage priority) and the custom field definitions per category.

ALTER TABLE incidents
  ADD COLUMN related_incidents uuid[] NOT NULL DEFAULT '{}',
  ADD COLUMN template_id       text,
  ADD COLUMN risk              jsonb,
  ADD COLUMN risk_score        real,
  ADD COLUMN breach_regulation text,
  ADD COLUMN breach_aware_at   timestamptz,
  ADD COLUMN breach_due        timestamptz,
  ADD COLUMN response_due      timestamptz,
  ADD COLUMN resolution_due    timestamptz,
  -- shared/priority.ts at projection time (and on POST /incidents/:id/prioritize).
  ADD COLUMN priority_score    integer NOT NULL DEFAULT 0,
  ADD COLUMN priority_factors  jsonb NOT NULL DEFAULT '[]';

-- The triage queue: open incidents by priority, one index scan.
CREATE INDEX incidents_priority_queue_idx ON incidents (priority_score DESC, created_at, id) WHERE status <> 'closed';
CREATE INDEX incidents_related_idx ON incidents USING gin (related_incidents);
CREATE INDEX incidents_breach_due_idx ON incidents (breach_due) WHERE breach_due IS NOT NULL;

-- Custom field definitions per incident category (shared/templates.ts customFieldDefSchema).
CREATE TABLE custom_field_defs (
  category   text PRIMARY KEY,
  fields     jsonb NOT NULL DEFAULT '[]',
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
