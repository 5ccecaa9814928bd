-- Changes that a transaction decided to write into incident documents (alert ingestion, intel
-- matches, evidence entries). They are recorded in the deciding transaction and applied after it
-- commits (server/sync/doc-outbox.ts), so no transaction holds its locks while it loads
-- documents through the pool, and a crash between commit and the document write loses nothing:
-- a sweeper applies what is left. Handlers are idempotent, so applying a row twice is harmless.
CREATE TABLE doc_outbox (
  id bigserial PRIMARY KEY,
  doc_id uuid NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A sweeper that took the row: others leave it alone until then.
  claimed_until timestamptz,
  attempts int NOT NULL DEFAULT 0
);
CREATE INDEX doc_outbox_created ON doc_outbox (created_at);
