-- Up Migration
-- People who may call the API, and their roles (least privilege: a route names the roles it admits).
CREATE TABLE people (
  id text PRIMARY KEY,
  display_name text NOT NULL,
  email text NOT NULL,
  roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['admin', 'lead', 'oncall', 'leadership', 'viewer']),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens, stored as sha256 of the token: the plain token is shown once and never kept.
-- A high-entropy random token needs no salt or slow hash; the unique index makes a lookup one probe.
CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  person_id text NOT NULL REFERENCES people (id),
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_tokens_person ON api_tokens (person_id);

-- Idempotency-Key of POST requests, per person. 'in_flight' holds the key while the first request
-- runs (a duplicate gets 409); 'done' keeps the answer to replay until expires_at.
CREATE TABLE idempotency_keys (
  person_id text NOT NULL,
  key text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status integer,
  response_headers jsonb,
  response_body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (person_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- The audit trail: append-only and hash-chained. hash = sha256(prev_hash || canonical JSON of the
-- row's fields), computed by platform/audit.ts, so an edit or a deletion breaks the chain there.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  event_key text UNIQUE,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  roles text[] NOT NULL,
  action text NOT NULL,
  target jsonb NOT NULL,
  reason text,
  request_id text,
  result text NOT NULL,
  details jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL
);

-- The target's values as an array, so "everything about p1" is one GIN index probe.
CREATE FUNCTION audit_target_values(target jsonb) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(value), '{}') FROM jsonb_each_text(target) $$;
CREATE INDEX audit_log_target ON audit_log USING gin (audit_target_values(target));
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

-- The head of the chain. Appenders lock this one row, which keeps the chain linear across every
-- API instance and worker; it also reveals a deletion at the tail of the log.
CREATE TABLE audit_chain_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, repeat('0', 64));

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only (% refused on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_keep BEFORE DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Down Migration
DROP TABLE audit_chain_head;
DROP TABLE audit_log;
DROP FUNCTION audit_refuse_change();
DROP FUNCTION audit_target_values(jsonb);
DROP TABLE idempotency_keys;
DROP TABLE api_tokens;
DROP TABLE people;
