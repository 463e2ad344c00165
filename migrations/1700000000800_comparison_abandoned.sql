-- Up Migration
-- A comparison whose worker died mid-way leaves its row 'running' for ever; the activity's next
-- attempt closes it as 'abandoned'. Each attempt notes its run id here first, so the next one
-- knows which rows were its predecessors' (run ids stay random: the engine makes no other change).
ALTER TABLE comparison_run DROP CONSTRAINT comparison_run_status_check;
ALTER TABLE comparison_run ADD CONSTRAINT comparison_run_status_check
  CHECK (status IN ('running', 'clean', 'warning', 'critical', 'failed', 'abandoned'));

CREATE TABLE comparison_attempt (
  -- workflow id / workflow run id / activity id: one activity execution across its attempts.
  activity_key text NOT NULL,
  attempt integer NOT NULL,
  run_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (activity_key, attempt, run_id)
);

-- Down Migration
DROP TABLE comparison_attempt;
UPDATE comparison_run SET status = 'failed', error_code = coalesce(error_code, 'ABANDONED') WHERE status = 'abandoned';
ALTER TABLE comparison_run DROP CONSTRAINT comparison_run_status_check;
ALTER TABLE comparison_run ADD CONSTRAINT comparison_run_status_check
  CHECK (status IN ('running', 'clean', 'warning', 'critical', 'failed'));
