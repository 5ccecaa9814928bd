-- Evidence linked to timeline entries after capture (a set per entry in the incident document,
-- projected here so GET /incidents/{id}/timeline returns it).
ALTER TABLE timeline_entries ADD COLUMN evidence text[] NOT NULL DEFAULT '{}';
