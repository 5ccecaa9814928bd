-- The post-incident review (issue 12). Action items live in the incident's document; the
-- projector writes them here (replaced with each projection, like tasks) so they are listed,
-- filtered and counted across incidents. The closing gate's setting per category: the
-- severities whose true-positive closings need the review completed (a category without a row
-- uses the default, S1 and S2).
CREATE TABLE action_items (
  incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  id          text NOT NULL,
  ord         integer NOT NULL,
  title       text NOT NULL,
  owner       text,
  due         date,
  type        text NOT NULL,
  status      text NOT NULL,
  created_at  text NOT NULL,
  created_by  text NOT NULL,
  updated_at  text NOT NULL,
  PRIMARY KEY (incident_id, id)
);
CREATE INDEX action_items_id_idx ON action_items (id);
CREATE INDEX action_items_open_idx ON action_items (status, due);
CREATE INDEX action_items_owner_idx ON action_items (owner);

CREATE TABLE review_gate_settings (
  category   text PRIMARY KEY,
  severities text[] NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
