-- Up Migration
-- Check-off links in runbook task e-mails: sha256 of a random token (the token is only in the
-- e-mail). One per person and notice (notice_key), single use, expiring: the token is the
-- credential, so the page behind it needs no sign-in. Codes and opaque ids only.
CREATE TABLE runbook_check_tokens (
  token_hash text PRIMARY KEY,
  notice_key text NOT NULL UNIQUE,
  program_id text NOT NULL,
  run_id text NOT NULL,
  task_id text NOT NULL,
  person_id text NOT NULL,
  rehearsal boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX runbook_check_tokens_run ON runbook_check_tokens (program_id, run_id, task_id);

-- Down Migration
DROP TABLE runbook_check_tokens;
