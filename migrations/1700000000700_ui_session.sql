-- Up Migration
-- Command-center sign-ins: a bearer token is exchanged for a session cookie. Only the sha256 of
-- the cookie value is stored (like api_tokens); the CSRF token is not a secret from the signed-in
-- browser, only from other sites, so it is stored as is.
CREATE TABLE ui_session (
  id_hash text PRIMARY KEY,
  person_id text NOT NULL REFERENCES people (id),
  -- The token it was exchanged for: revoking the token ends its sessions too.
  token_id text NOT NULL REFERENCES api_tokens (id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX ui_session_person_idx ON ui_session (person_id);

-- Down Migration
DROP TABLE IF EXISTS ui_session;
