-- Who last changed a timeline entry, and who deleted it and when (issue 20: note edits leave a
-- trace). Read from the incident document by the projector like the other entry columns.
ALTER TABLE timeline_entries ADD COLUMN edited_by text;
ALTER TABLE timeline_entries ADD COLUMN deleted_by text;
ALTER TABLE timeline_entries ADD COLUMN deleted_at text;
