-- Coalescing event-triggered runs (issue 20): one automatic run per playbook, incident and
-- event while one is active or within PLAYBOOK_COALESCE_SECONDS of the last one's start.
-- `coalesce_key` names the event the run coalesces (NULL: manual and webhook runs, never
-- coalesced); `coalesced` lists every triggering event the run stands for, its own first.
ALTER TABLE playbook_runs ADD COLUMN coalesce_key text;
ALTER TABLE playbook_runs ADD COLUMN coalesced jsonb NOT NULL DEFAULT '[]';
CREATE INDEX playbook_runs_coalesce_idx ON playbook_runs (incident_id, playbook_id, coalesce_key, created_at DESC) WHERE coalesce_key IS NOT NULL;
