-- 003_alerts_assets: asset inventory, ingested alerts (raw payload immutable), webhook field
-- mappings, dedup/correlation rules, and the observable index that makes correlation one query.

CREATE TABLE assets (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('host', 'account', 'service')),
  -- Lower-case; unique per kind.
  name        text NOT NULL CHECK (name = lower(name)),
  criticality smallint NOT NULL DEFAULT 3 CHECK (criticality BETWEEN 1 AND 5),
  privileged  boolean NOT NULL DEFAULT false,
  owner       text,
  tags        text[] NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, name)
);
CREATE INDEX assets_name_idx ON assets (name);

CREATE TABLE alert_mappings (
  id         uuid PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  mapping    jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row (id = 1): the dedup and correlation settings.
CREATE TABLE alert_rules (
  id         smallint PRIMARY KEY CHECK (id = 1),
  rules      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id           uuid PRIMARY KEY,
  source       text NOT NULL,
  type         text NOT NULL,
  title        text NOT NULL,
  -- native | suricata | wazuh | ecs | webhook:<mapping id>
  format       text NOT NULL,
  status       text NOT NULL CHECK (status IN ('created', 'correlated', 'unlinked')),
  fingerprint  text NOT NULL,
  external_id  text,
  -- The payload exactly as received, and its native form: both immutable.
  raw          jsonb NOT NULL,
  normalized   jsonb NOT NULL,
  score        smallint NOT NULL,
  severity     text NOT NULL,
  risk         jsonb NOT NULL,
  -- Deduplicated repeats: how many times seen, and when last.
  count        integer NOT NULL DEFAULT 1,
  last_seen    timestamptz NOT NULL,
  incident_id  uuid,
  entry_id     text,
  observed_at  timestamptz,
  detected_at  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL
);
CREATE INDEX alerts_fingerprint_idx ON alerts (fingerprint, last_seen DESC);
CREATE INDEX alerts_incident_idx ON alerts (incident_id, id DESC);
CREATE INDEX alerts_source_idx ON alerts (source, id DESC);

-- A stored alert's payload, normalized form, identity and score never change; only its dedup
-- counters (count, last_seen) do. Alerts are never deleted.
CREATE FUNCTION alerts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'alerts are immutable: DELETE refused' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.raw IS DISTINCT FROM OLD.raw OR NEW.normalized IS DISTINCT FROM OLD.normalized
     OR NEW.fingerprint IS DISTINCT FROM OLD.fingerprint OR NEW.source IS DISTINCT FROM OLD.source
     OR NEW.received_at IS DISTINCT FROM OLD.received_at OR NEW.score IS DISTINCT FROM OLD.score
     OR NEW.risk IS DISTINCT FROM OLD.risk OR NEW.format IS DISTINCT FROM OLD.format THEN
    RAISE EXCEPTION 'alerts are immutable: only count and last_seen may change' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER alerts_immutable_update BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_immutable();
CREATE TRIGGER alerts_immutable_delete BEFORE DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_immutable();
CREATE FUNCTION alerts_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'alerts are immutable: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER alerts_immutable_truncate BEFORE TRUNCATE ON alerts FOR EACH STATEMENT EXECUTE FUNCTION alerts_no_truncate();

-- Observables and assets of incidents (kind ip|domain|url|hash|account|host|email|file|other,
-- value lower-cased), with when each was last seen on the incident: correlation is one indexed
-- lookup. Alert ingestion writes it as it creates or joins incidents; the trigger below keeps it
-- in step with the projection for incidents people create or edit.
CREATE TABLE incident_observables (
  kind        text NOT NULL,
  value       text NOT NULL,
  incident_id uuid NOT NULL,
  last_seen   timestamptz NOT NULL,
  PRIMARY KEY (kind, value, incident_id)
);
CREATE INDEX incident_observables_incident_idx ON incident_observables (incident_id);

CREATE FUNCTION incident_observables_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.observables IS NOT DISTINCT FROM OLD.observables
     AND NEW.affected_assets IS NOT DISTINCT FROM OLD.affected_assets THEN
    RETURN NEW;
  END IF;
  INSERT INTO incident_observables (kind, value, incident_id, last_seen)
    SELECT DISTINCT o->>'kind', lower(o->>'value'), NEW.id, NEW.updated_at
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(NEW.observables) = 'array' THEN NEW.observables ELSE '[]'::jsonb END) o
     WHERE o->>'kind' IS NOT NULL AND o->>'value' IS NOT NULL
  ON CONFLICT (kind, value, incident_id) DO NOTHING;
  INSERT INTO incident_observables (kind, value, incident_id, last_seen)
    SELECT DISTINCT 'asset', lower(a), NEW.id, NEW.updated_at FROM unnest(NEW.affected_assets) a
  ON CONFLICT (kind, value, incident_id) DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER incidents_observables_sync AFTER INSERT OR UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION incident_observables_sync();
