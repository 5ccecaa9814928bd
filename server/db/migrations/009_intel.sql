-- 009_intel: threat-intel feeds, the indicator store with per-source sightings, decay models,
-- the allow-list, and matches against incidents and alerts (shared/intel-api.ts).

CREATE TABLE intel_feeds (
  id                 uuid PRIMARY KEY,
  name               text NOT NULL UNIQUE,
  url                text,
  format             text NOT NULL,
  schedule_minutes   integer NOT NULL DEFAULT 60,
  default_confidence integer NOT NULL DEFAULT 50,
  tlp                text NOT NULL DEFAULT 'amber',
  types              text[],
  enabled            boolean NOT NULL DEFAULT true,
  options            jsonb NOT NULL DEFAULT '{}',
  -- Conditional requests: what the last good pull answered.
  etag               text,
  last_modified      text,
  -- TAXII: the X-TAXII-Date-Added-Last of the last successful pull (the next added_after).
  cursor             text,
  next_run_at        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  created_by         text NOT NULL
);

CREATE TABLE intel_feed_runs (
  id              uuid PRIMARY KEY,
  feed_id         uuid NOT NULL REFERENCES intel_feeds (id) ON DELETE CASCADE,
  state           text NOT NULL,
  started_at      timestamptz,
  finished_at     timestamptz,
  parsed          integer NOT NULL DEFAULT 0,
  bytes_read      bigint NOT NULL DEFAULT 0,
  bytes_total     bigint,
  added           integer NOT NULL DEFAULT 0,
  updated         integer NOT NULL DEFAULT 0,
  expired         integer NOT NULL DEFAULT 0,
  skipped         integer NOT NULL DEFAULT 0,
  skipped_samples jsonb NOT NULL DEFAULT '[]',
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- Progress heartbeat: a running run not updated for a while was left by a dead process.
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intel_feed_runs_feed_idx ON intel_feed_runs (feed_id, created_at DESC);
-- At most one active run per feed, across every server process (the runner's claim).
CREATE UNIQUE INDEX intel_feed_runs_active_idx ON intel_feed_runs (feed_id) WHERE state IN ('queued', 'running');

-- One row per (type, canonical value). `net` is set for CIDR ranges only (containment lookups:
-- an IP matches `value = ip OR (type = 'cidr' AND net >>= ip)`); single addresses match by value,
-- which keeps bulk ingest of address lists off the GiST index.
CREATE TABLE indicators (
  id              bigserial PRIMARY KEY,
  type            text NOT NULL,
  value           text NOT NULL,
  net             inet,
  tlp             text NOT NULL DEFAULT 'amber',
  tags            text[] NOT NULL DEFAULT '{}',
  malware         text[] NOT NULL DEFAULT '{}',
  actors          text[] NOT NULL DEFAULT '{}',
  techniques      text[] NOT NULL DEFAULT '{}',
  -- Combined confidence of all sources (shared/intel-api.ts combinedConfidence), kept current on upsert.
  base_confidence real NOT NULL,
  first_seen      timestamptz NOT NULL,
  last_seen       timestamptz NOT NULL,
  -- STIX valid_until when a source gave one: not matched after it.
  valid_until     timestamptz,
  UNIQUE (type, value)
) WITH (fillfactor = 50);
-- Half of each page is left free: a feed's daily re-listing updates every row it lists, and with
-- room on the page (and no index on the updated columns) each update is a heap-only tuple, with
-- no index entries written. Without it the re-listing of a million-row feed rewrites every index.
CREATE INDEX indicators_net_idx ON indicators USING gist (net inet_ops) WHERE net IS NOT NULL;

-- Who reported an indicator: first and last seen per source (a feed, or a manual/pushed source).
-- No foreign keys: bulk ingest writes a million rows per run and per-row FK triggers would cost
-- four times the insert. Deleting a feed deletes its sightings explicitly (server/intel/feeds.ts);
-- indicators are never deleted one by one (a purge must delete their sightings too).
CREATE TABLE indicator_sightings (
  indicator_id bigint NOT NULL,
  feed_id      uuid,
  source       text NOT NULL,
  confidence   real NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  -- The feed run that last listed it; a complete run expires the feed's sightings it no longer lists.
  last_run_id  uuid,
  -- Expired sightings stay as history but no longer count in base_confidence.
  expired_at   timestamptz,
  PRIMARY KEY (indicator_id, source)
) WITH (fillfactor = 50); -- as indicators: re-listing updates each sighting in place (heap-only)
CREATE INDEX indicator_sightings_feed_idx ON indicator_sightings (feed_id);

-- Objects STIX/MISP relate indicators to (malware, threat actor, attack pattern).
CREATE TABLE intel_objects (
  id          text PRIMARY KEY,
  kind        text NOT NULL,
  name        text NOT NULL,
  external_id text,
  data        jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE intel_decay_models (
  type          text PRIMARY KEY,
  lifetime_days double precision NOT NULL,
  speed         double precision NOT NULL,
  threshold     double precision NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    text
);

-- The organisation's own domains and ranges: never block entries.
CREATE TABLE intel_allowlist (
  value      text PRIMARY KEY,
  net        inet,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL
);

-- Observables of incidents and alerts that matched an indicator (on arrival or retrospectively).
CREATE TABLE intel_matches (
  indicator_id bigint NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
  incident_id  uuid,
  alert_id     uuid,
  observable   text NOT NULL,
  how          text NOT NULL,
  score        real NOT NULL,
  matched_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX intel_matches_unique_idx ON intel_matches (indicator_id, coalesce(incident_id, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(alert_id, '00000000-0000-0000-0000-000000000000'::uuid), observable);
CREATE INDEX intel_matches_incident_idx ON intel_matches (incident_id) WHERE incident_id IS NOT NULL;

-- The decayed score (shared/intel-api.ts decayedScore, kept equal by server/intel/scoring-sql.test.ts):
-- base × (1 − (age / lifetime)^(1/speed)), 0 once age ≥ lifetime; age from the last sighting.
CREATE FUNCTION intel_score(base double precision, last_seen timestamptz, lifetime_days double precision, speed double precision, at timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN extract(epoch FROM (at - last_seen)) >= lifetime_days * 86400 THEN 0
    ELSE base * (1 - power(greatest(0, extract(epoch FROM (at - last_seen))) / (lifetime_days * 86400), 1 / speed))
  END
$$;

-- Text to inet, NULL when it is not an address or range: the retrospective search casts stored
-- observables, which people typed, and one bad value must not fail the statement for all.
CREATE FUNCTION intel_try_inet(t text) RETURNS inet LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN t::inet;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN NULL;
END
$$;
