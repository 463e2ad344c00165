-- Up Migration
-- Check-off by reply: a runbook task's e-mail names a Reply-To address carrying a random,
-- single-use reference to that one notice (one person, one task of one run). Only its sha256 is
-- stored, as for acknowledge tokens, so a copy of the database checks nothing off.
CREATE TABLE runbook_reply_refs (
  ref_hash text PRIMARY KEY,
  -- The e-mail's idempotency key: a resend of the same notice replaces its reference.
  notice_key text NOT NULL UNIQUE,
  program_id text NOT NULL,
  run_id text NOT NULL,
  task_id text NOT NULL,
  person_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  -- How the reply that spent it ended, as a code (checked-off, refused-invalid-state, ...).
  outcome text
);

-- A runbook run's paper packets: per owner, the tasks as they stood when the run started (owners
-- by rota resolved then), to print and tick off if the systems go down. Task titles are the
-- team's words about work; no patient data.
CREATE TABLE runbook_packet (
  program_id text NOT NULL,
  run_id text NOT NULL,
  person_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  task_count integer NOT NULL,
  content jsonb NOT NULL,
  PRIMARY KEY (program_id, run_id, person_id)
);

-- Down Migration
DROP TABLE runbook_packet;
DROP TABLE runbook_reply_refs;
