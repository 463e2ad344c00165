-- Up Migration
-- Plans as submitted: the program workflow gets the parsed plan; this row is the record of it.
CREATE TABLE program (
  id text PRIMARY KEY,
  plan jsonb NOT NULL,
  plan_hash text NOT NULL,
  hospital_name text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every gate decision with the frozen evidence it was made on and the hash of that snapshot.
CREATE TABLE gate_decision (
  id bigserial PRIMARY KEY,
  -- No foreign key: a program workflow may run without the API having stored its plan (tests, replays).
  program_id text NOT NULL,
  gate_id text NOT NULL,
  round integer NOT NULL,
  approver_id text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('go', 'no-go')),
  override_reason text,
  comment text,
  evidence jsonb NOT NULL,
  evidence_hash text NOT NULL,
  decided_at timestamptz NOT NULL,
  event_key text NOT NULL UNIQUE
);
CREATE INDEX gate_decision_by_gate ON gate_decision (program_id, gate_id, round);

-- What the simulated hospital systems (demo, tests) were asked to do.
CREATE TABLE simulated_system_call (
  idempotency_key text PRIMARY KEY,
  program_id text NOT NULL,
  department text NOT NULL,
  step_id text NOT NULL,
  direction text NOT NULL,
  attempts integer NOT NULL,
  applied boolean NOT NULL DEFAULT false,
  applied_at timestamptz
);
CREATE TABLE simulated_system_step (
  program_id text NOT NULL,
  department text NOT NULL,
  step_id text NOT NULL,
  system text NOT NULL,
  state text NOT NULL CHECK (state IN ('applied', 'undone')),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, department, step_id)
);

-- Down Migration
DROP TABLE simulated_system_step;
DROP TABLE simulated_system_call;
DROP TABLE gate_decision;
DROP TABLE program;
