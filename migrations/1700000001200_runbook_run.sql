-- Up Migration
-- A finished runbook run (the night or a rehearsal) as the command center last saw it: the
-- rehearsal report compares a run with the earlier runs of the same runbook. Task titles are the
-- team's words about work; no patient data.
CREATE TABLE runbook_run (
  program_id text NOT NULL,
  run_id text NOT NULL,
  runbook_id text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('live', 'rehearsal')),
  speed integer NOT NULL CHECK (speed >= 1),
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  minutes_over_window integer NOT NULL,
  view jsonb NOT NULL,
  PRIMARY KEY (program_id, run_id)
);
CREATE INDEX runbook_run_by_runbook ON runbook_run (program_id, runbook_id, started_at);

-- Down Migration
DROP TABLE runbook_run;
