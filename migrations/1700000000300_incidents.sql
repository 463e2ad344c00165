-- Up Migration
-- One row per incident, kept current by its workflow (the workflow is the truth; this is what
-- the API lists and reads without waking it). Codes, counts and opaque ids only.
CREATE TABLE incidents (
  id text PRIMARY KEY,
  workflow_id text NOT NULL,
  program_id text NOT NULL,
  departments text[] NOT NULL,
  condition text NOT NULL,
  severity text NOT NULL,
  counts jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  level integer,
  round integer,
  owner_id text,
  acknowledged_at timestamptz,
  repeats integer NOT NULL DEFAULT 0,
  raised_by text NOT NULL,
  raised_at timestamptz NOT NULL,
  resolved_at timestamptz,
  resolved_by text,
  resolution_code text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_program ON incidents (program_id, raised_at DESC);
CREATE INDEX incidents_open ON incidents (status) WHERE status <> 'resolved';

-- The timeline: who was notified when (level, round, person), deliveries and their failures,
-- escalations, acknowledgements, repeats, resolution. `at` is workflow time; event_key makes a
-- retried write land once.
CREATE TABLE incident_events (
  seq bigserial,
  event_key text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id),
  at timestamptz NOT NULL,
  kind text NOT NULL,
  level integer,
  round integer,
  person_id text,
  detail jsonb
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at, seq);

-- Free text (resolution notes) lives here only, never in a workflow history or an e-mail.
CREATE TABLE incident_notes (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id),
  kind text NOT NULL CHECK (kind IN ('resolution')),
  code text NOT NULL,
  text text NOT NULL CHECK (length(text) <= 500),
  person_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Acknowledge links: sha256 of a random token (the token is only in the e-mail). Single use,
-- expire after 24 h or when the incident closes. notice_key: one token per notice.
CREATE TABLE incident_ack_tokens (
  token_hash text PRIMARY KEY,
  notice_key text NOT NULL UNIQUE,
  incident_id text NOT NULL REFERENCES incidents (id),
  person_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  used_by text
);
CREATE INDEX incident_ack_tokens_incident ON incident_ack_tokens (incident_id);

-- On-call rotas per program, read when a ladder level is reached (edits apply at once).
CREATE TABLE oncall_rotas (
  program_id text NOT NULL,
  name text NOT NULL,
  rota jsonb NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, name)
);

-- The escalation policy per program for incidents raised through the API (workflows pass
-- the one their cutover plan embeds).
CREATE TABLE escalation_policies (
  program_id text PRIMARY KEY,
  policy jsonb NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE escalation_policies;
DROP TABLE oncall_rotas;
DROP TABLE incident_ack_tokens;
DROP TABLE incident_notes;
DROP TABLE incident_events;
DROP TABLE incidents;
