-- Closing and the incident's end (issue 20): a closed incident's classification and one-line
-- summary are projected from its document; an invitation an admin re-issues is revoked (the
-- new link replaces it) rather than deleted, so the record of it stays.
ALTER TABLE incidents ADD COLUMN resolution text;
ALTER TABLE incidents ADD COLUMN closing_summary text;
ALTER TABLE invites ADD COLUMN revoked_at timestamptz;
