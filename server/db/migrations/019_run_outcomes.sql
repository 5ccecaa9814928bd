-- Honest run outcomes (issue 20): a run whose every step finished but where a step failed or
-- timed out and an on_error handler took over is `completed_with_failures`, not `succeeded`:
-- the actions it meant to take were not all taken. `failed` stays for an unhandled failure.
ALTER TABLE playbook_runs DROP CONSTRAINT IF EXISTS playbook_runs_state_check;
ALTER TABLE playbook_runs ADD CONSTRAINT playbook_runs_state_check
  CHECK (state IN ('queued', 'running', 'waiting_approval', 'succeeded', 'completed_with_failures', 'failed', 'cancelled'));
