-- 001_core: incident documents (Yjs updates and snapshots) and their relational projection.

-- One row per Yjs document (guid = incident id).
CREATE TABLE documents (
  id            uuid PRIMARY KEY,
  -- Highest doc_updates.seq appended for this document (the changes feed cursor).
  last_seq      bigint NOT NULL DEFAULT 0,
  -- Compacted state (Y.encodeStateAsUpdate of every update with seq <= snapshot_seq).
  snapshot      bytea,
  snapshot_seq  bigint NOT NULL DEFAULT 0,
  -- Rows in doc_updates not yet folded into the snapshot (compaction trigger).
  update_count  integer NOT NULL DEFAULT 0,
  -- Highest seq the projector has folded into the incidents rows (crash recovery).
  projected_seq bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_last_seq_idx ON documents (last_seq);

-- Every accepted update, appended; compaction deletes the rows a snapshot covers.
-- seq is assigned under a transaction-level advisory lock, so seq order is commit order.
CREATE TABLE doc_updates (
  seq        bigserial PRIMARY KEY,
  doc_id     uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  update     bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX doc_updates_doc_seq_idx ON doc_updates (doc_id, seq);

-- Human keys: IR-<year>-<n>, n from a counter per year (gaps are fine, duplicates are not).
CREATE TABLE incident_key_counters (
  year integer PRIMARY KEY,
  n    integer NOT NULL
);

-- The projection of each incident document (see server/incidents/projection-store.ts).
CREATE TABLE incidents (
  id              uuid PRIMARY KEY,
  key             text UNIQUE,
  key_year        integer,
  key_n           integer,
  title           text NOT NULL,
  description     text NOT NULL,
  status          text NOT NULL,
  phase           text NOT NULL,
  severity        text NOT NULL,
  priority        text NOT NULL,
  category        text NOT NULL,
  tlp             text NOT NULL,
  assigned_to     text,
  reported_by     text,
  created_by      text NOT NULL,
  tags            text[] NOT NULL DEFAULT '{}',
  affected_assets text[] NOT NULL DEFAULT '{}',
  observables     jsonb NOT NULL DEFAULT '[]',
  custom_fields   jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  occurred_at     timestamptz,
  detected_at     timestamptz,
  reported_at     timestamptz,
  contained_at    timestamptz,
  resolved_at     timestamptz,
  closed_at       timestamptz,
  open_tasks      integer NOT NULL DEFAULT 0,
  total_tasks     integer NOT NULL DEFAULT 0,
  timeline_count  integer NOT NULL DEFAULT 0,
  -- Lower-cased key, title, description, tags, assets and observables for ILIKE search.
  search_text     text NOT NULL DEFAULT '',
  -- Monotonic measure of the document state projected (sum of the state vector plus deleted
  -- length): an older state never overwrites a newer one when two processes project at once.
  version         bigint NOT NULL DEFAULT 0,
  problems        integer NOT NULL DEFAULT 0,
  projected_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_status_idx ON incidents (status);
CREATE INDEX incidents_severity_idx ON incidents (severity);
CREATE INDEX incidents_updated_at_idx ON incidents (updated_at DESC, id);
CREATE INDEX incidents_created_at_idx ON incidents (created_at DESC, id);

CREATE TABLE timeline_entries (
  incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  id          text NOT NULL,
  -- Position in the timeline order of shared/incident-doc.ts (compareEntries).
  ord         integer NOT NULL,
  at          text NOT NULL,
  at_ts       timestamptz,
  created_at  text NOT NULL,
  author      text NOT NULL,
  kind        text NOT NULL,
  text        text NOT NULL,
  data        jsonb,
  deleted     boolean NOT NULL DEFAULT false,
  edited_at   text,
  PRIMARY KEY (incident_id, id)
);
CREATE INDEX timeline_entries_order_idx ON timeline_entries (incident_id, ord);

CREATE TABLE tasks (
  incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  id          text NOT NULL,
  ord         integer NOT NULL,
  title       text NOT NULL,
  done        boolean NOT NULL DEFAULT false,
  done_by     text,
  done_at     text,
  created_at  text NOT NULL,
  deleted     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (incident_id, id)
);
CREATE INDEX tasks_order_idx ON tasks (incident_id, ord);
