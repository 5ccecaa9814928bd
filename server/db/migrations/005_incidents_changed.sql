-- 005_incidents_changed: every statement that changes incident rows announces it on the
-- `incidents_changed` channel, so each server process drops the list pages it has cached
-- (server/incidents/list-cache.ts). Statement-level: one notification per statement, and
-- Postgres folds identical notifications within a transaction into one.
CREATE FUNCTION notify_incidents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('incidents_changed', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER incidents_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incidents
  FOR EACH STATEMENT EXECUTE FUNCTION notify_incidents_changed();
