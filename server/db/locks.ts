/**
 * Every Postgres advisory lock the server takes, in one table, so two features can never pick the
 * same key. All are transaction-level (`pg_advisory_xact_lock`): released at commit or rollback,
 * never held across a wait for a pool connection.
 *
 * Fixed keys serialise one kind of write across every process on the database. Keyed locks hash a
 * text with `hashtextextended(text, seed)`; the seed and the text's prefix keep one feature's keys
 * apart from another's (a 64-bit hash: a collision is possible in principle, it only ever makes
 * two unrelated writers wait for each other).
 */

/** Fixed lock keys (one bigint each; the 0x5e47 prefix is "Sentpilot"). */
export const LOCKS = {
  /** Migrations: one process applies each, the others wait and re-check. */
  migration: 0x5e47_0001,
  /** Document update appends: sequence numbers are drawn in commit order. */
  syncAppend: 0x5e47_0002,
  /** Feed ingests: one merge into the indicator store at a time. */
  intelIngest: 0x5e47_0009,
  /** First-admin bootstrap: idempotent when several processes start together. */
  bootstrap: 0x5e47_00ad,
  /** Audit log appends: the hash chain stays linear. */
  audit: 0x5e47_0a0d,
  /** Evidence custody log appends: the custody chain stays linear. */
  custody: 0x5e47_0e01,
  /** Alert ingestion (exclusive); intel's retrospective hits take it shared to see a stable set of alerts. */
  alertIngest: 0x5e47_a1e7,
} as const;

/** Seeds for keyed locks: `pg_advisory_xact_lock(hashtextextended(<text>, <seed>))`. */
export const KEYED_LOCK_SEEDS = {
  /** Evidence blobs by SHA-256 (text: the hex digest): one upload or removal of a blob at a time. */
  evidenceBlob: 0,
  /** Playbook trigger coalescing (text: `playbook-coalesce:<playbook>:<incident>:<key>`). */
  playbookCoalesce: 0,
  /** Projection of one incident into rows (text: the incident id). */
  projection: 7,
  /** Login attempts (texts: `login-account:<email>` and `login-address:<address>`). */
  login: 12,
} as const;
