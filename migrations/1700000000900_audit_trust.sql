-- Up Migration
-- The runtime's privileges. The API and the worker connect as a login role that is a member of
-- golive_runtime (created by platform/db.ts ensureRuntimeRole, or by the DBA in production);
-- migrations run as the tables' owner. The runtime is neither superuser nor owner, so it cannot
-- switch the audit triggers off, and it may only append to the trail.
-- Roles belong to the cluster, not the database: test files migrate databases of one cluster in
-- parallel, hence the duplicate guard.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'golive_runtime') THEN
    CREATE ROLE golive_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- Signed checkpoints of the chain head: the anchor outside the database. mac is an HMAC-SHA256
-- over (n, seq, hash, at, previous mac) with a key only the API holds; see platform/audit.ts.
CREATE TABLE audit_checkpoint (
  n bigint PRIMARY KEY,
  seq bigint NOT NULL,
  hash text NOT NULL,
  at timestamptz NOT NULL,
  key_id text NOT NULL,
  prev_mac text NOT NULL,
  mac text NOT NULL
);
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Events that are counted rather than written row by row: authentication failures per source and
-- minute, idempotent replays per key and minute, sign-ins per person and minute (rate limits).
-- A closed minute's count goes into the trail as one entry (flushed_at set), then the row may go.
CREATE TABLE request_tally (
  kind text NOT NULL CHECK (kind IN ('auth_failure', 'idempotent_replay', 'sign_in')),
  subject text NOT NULL,
  minute timestamptz NOT NULL,
  count bigint NOT NULL,
  first_at timestamptz NOT NULL DEFAULT now(),
  last_at timestamptz NOT NULL DEFAULT now(),
  details jsonb,
  flushed_at timestamptz,
  PRIMARY KEY (kind, subject, minute)
);
CREATE INDEX request_tally_unflushed ON request_tally (minute) WHERE flushed_at IS NULL;

-- Everything the runtime needs on the operational tables, and only append on the trail.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO golive_runtime;
-- The comparison engine stages file sources in tables of its own (activities/compare/sources.ts).
GRANT CREATE ON SCHEMA public TO golive_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO golive_runtime;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO golive_runtime;
REVOKE ALL ON audit_log, audit_chain_head, audit_checkpoint, pgmigrations FROM golive_runtime;
GRANT SELECT, INSERT ON audit_log, audit_checkpoint TO golive_runtime;
GRANT SELECT, UPDATE ON audit_chain_head TO golive_runtime;
-- Tables of later migrations (run by the same owner) are the runtime's too; an append-only one
-- must revoke UPDATE and DELETE itself, as above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO golive_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO golive_runtime;

-- Down Migration
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM golive_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM golive_runtime;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM golive_runtime;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM golive_runtime;
REVOKE ALL ON SCHEMA public FROM golive_runtime;
DROP TABLE request_tally;
DROP TABLE audit_checkpoint;
