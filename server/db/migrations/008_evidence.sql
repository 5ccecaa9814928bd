-- The evidence locker (server/evidence): encrypted blobs addressed by SHA-256, evidence items
-- (write once: triggers refuse changing what matters and refuse DELETE; deletion is a
-- tombstone), resumable uploads, legal holds, retention per incident category, and the
-- hash-chained chain-of-custody log (append-only, like audit_log in 002).

-- One stored content (deduplicated): the encrypted file is <data>/evidence/blobs/<file_id>.
CREATE TABLE evidence_blobs (
  sha256        text PRIMARY KEY,
  file_id       uuid NOT NULL UNIQUE,
  size          int8 NOT NULL,
  md5           text NOT NULL,
  sha1          text NOT NULL,
  -- The master key that wrapped the data key (rotation re-wraps, never re-encrypts).
  key_id        text NOT NULL,
  wrapped_key   bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE evidence_items (
  id                 uuid PRIMARY KEY,
  incident_id        uuid NOT NULL,
  type               text NOT NULL,
  file_name          text NOT NULL,
  description        text NOT NULL,
  tags               text[] NOT NULL,
  collected_by       text NOT NULL,
  collected_at       timestamptz NOT NULL,
  collected_where    text NOT NULL,
  source_host        text,
  uploaded_by        text NOT NULL,
  uploaded_by_id     text,
  uploaded_at        timestamptz NOT NULL DEFAULT now(),
  size               int8 NOT NULL,
  sha256             text NOT NULL,
  md5                text NOT NULL,
  sha1               text NOT NULL,
  linked_entries     text[] NOT NULL,
  -- The retention in force when it was stored (set by a trigger below): a later, shorter
  -- setting never lets it be deleted earlier.
  retained_until     timestamptz,
  timeline_entry_id  text,
  deleted_at         timestamptz,
  deleted_by         text,
  delete_reason      text
);
CREATE INDEX evidence_items_incident ON evidence_items (incident_id, uploaded_at);
CREATE INDEX evidence_items_sha256 ON evidence_items (sha256) WHERE deleted_at IS NULL;

-- Write once: only timeline_entry_id (once) and the tombstone columns (once) may be set.
CREATE FUNCTION evidence_items_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'evidence_items are never deleted (a deletion is a tombstone; % refused)', TG_OP;
  END IF;
  IF (NEW.id, NEW.incident_id, NEW.type, NEW.file_name, NEW.description, NEW.tags, NEW.collected_by,
      NEW.collected_at, NEW.collected_where, NEW.source_host, NEW.uploaded_by, NEW.uploaded_by_id,
      NEW.uploaded_at, NEW.size, NEW.sha256, NEW.md5, NEW.sha1, NEW.linked_entries, NEW.retained_until)
     IS DISTINCT FROM
     (OLD.id, OLD.incident_id, OLD.type, OLD.file_name, OLD.description, OLD.tags, OLD.collected_by,
      OLD.collected_at, OLD.collected_where, OLD.source_host, OLD.uploaded_by, OLD.uploaded_by_id,
      OLD.uploaded_at, OLD.size, OLD.sha256, OLD.md5, OLD.sha1, OLD.linked_entries, OLD.retained_until) THEN
    RAISE EXCEPTION 'evidence_items are write once (UPDATE of recorded fields refused)';
  END IF;
  IF OLD.timeline_entry_id IS NOT NULL AND NEW.timeline_entry_id IS DISTINCT FROM OLD.timeline_entry_id THEN
    RAISE EXCEPTION 'evidence_items.timeline_entry_id is set once';
  END IF;
  IF OLD.deleted_at IS NOT NULL AND (NEW.deleted_at, NEW.deleted_by, NEW.delete_reason) IS DISTINCT FROM (OLD.deleted_at, OLD.deleted_by, OLD.delete_reason) THEN
    RAISE EXCEPTION 'evidence_items tombstones are final';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER evidence_items_write_once BEFORE UPDATE OR DELETE ON evidence_items
  FOR EACH ROW EXECUTE FUNCTION evidence_items_write_once();

CREATE TRIGGER evidence_items_no_truncate BEFORE TRUNCATE ON evidence_items
  FOR EACH STATEMENT EXECUTE FUNCTION evidence_items_write_once();

-- An upload in progress: the encrypted chunks are in <data>/evidence/uploads/<id>.*
CREATE TABLE evidence_uploads (
  id           uuid PRIMARY KEY,
  incident_id  uuid NOT NULL,
  upload_key   text NOT NULL,
  created_by   text NOT NULL,
  created_by_id text,
  metadata     jsonb NOT NULL,
  size         int8 NOT NULL,
  sha256       text NOT NULL,
  received     int8 NOT NULL DEFAULT 0,
  key_id       text NOT NULL,
  wrapped_key  bytea NOT NULL,
  state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'complete')),
  evidence_id  uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- The last byte received (or the creation): an open upload idle past EVIDENCE_UPLOAD_IDLE_HOURS
  -- is removed, so an abandoned capture does not hold its quota forever.
  touched_at   timestamptz NOT NULL DEFAULT now(),
  -- Held while one request writes to, completes or removes the upload, by whichever server process
  -- took it (renewed while it works; a dead process's lease runs out), so two processes on a
  -- shared volume never write one upload at once.
  lease_until  timestamptz,
  UNIQUE (incident_id, upload_key)
);

CREATE TABLE evidence_legal_holds (
  incident_id  uuid PRIMARY KEY,
  since        timestamptz NOT NULL DEFAULT now(),
  held_by      text NOT NULL,
  reason       text NOT NULL
);

-- Days evidence is kept per incident category ('*' = the default).
CREATE TABLE evidence_retention (
  category  text PRIMARY KEY,
  days      int NOT NULL CHECK (days >= 0)
);
INSERT INTO evidence_retention (category, days) VALUES ('*', 365);

CREATE FUNCTION evidence_items_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT NEW.uploaded_at + make_interval(days => COALESCE(r.days, d.days)) INTO NEW.retained_until
    FROM (SELECT days FROM evidence_retention WHERE category = '*') d
    LEFT JOIN incidents i ON i.id = NEW.incident_id
    LEFT JOIN evidence_retention r ON r.category = i.category;
  RETURN NEW;
END;
$$;
CREATE TRIGGER evidence_items_retention BEFORE INSERT ON evidence_items
  FOR EACH ROW EXECUTE FUNCTION evidence_items_retention();

CREATE TABLE evidence_custody (
  seq          bigserial PRIMARY KEY,
  evidence_id  uuid,
  incident_id  uuid NOT NULL,
  action       text NOT NULL,
  actor        text NOT NULL,
  actor_id     text,
  at           timestamptz NOT NULL,
  from_addr    text,
  reason       text NOT NULL,
  details      jsonb NOT NULL,
  prev_hash    text NOT NULL,
  hash         text NOT NULL
);
CREATE INDEX evidence_custody_evidence ON evidence_custody (evidence_id, seq);
CREATE INDEX evidence_custody_incident ON evidence_custody (incident_id, seq);

CREATE FUNCTION evidence_custody_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'evidence_custody is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER evidence_custody_no_update BEFORE UPDATE OR DELETE ON evidence_custody
  FOR EACH ROW EXECUTE FUNCTION evidence_custody_immutable();
CREATE TRIGGER evidence_custody_no_truncate BEFORE TRUNCATE ON evidence_custody
  FOR EACH STATEMENT EXECUTE FUNCTION evidence_custody_immutable();
