-- Up Migration
-- A program's stored runbooks, versioned: every change is a new row (a put of a different
-- runbook, proposed durations approved after a rehearsal), none is ever updated, so a run can
-- name the version it ran and the trail shows who changed the plan of the night and when.
-- Task titles are the team's words about work; no patient data.
CREATE TABLE runbook (
  program_id text NOT NULL,
  runbook_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  runbook jsonb NOT NULL,
  -- What made this version: 'put' (a lead stored it), 'csv' (a spreadsheet import), 'approved' (durations from a run's report).
  source text NOT NULL CHECK (source IN ('put', 'csv', 'approved')),
  -- The run whose proposed durations were approved (source 'approved' only).
  from_run text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, runbook_id, version)
);

-- Down Migration
DROP TABLE runbook;
