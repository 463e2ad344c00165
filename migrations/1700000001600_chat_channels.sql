-- Up Migration
-- A second way to reach people: instant-messaging webhooks (a generic signed webhook, WeCom and
-- DingTalk group robots), a person's own or a rota's group chat. The URL and the secret are
-- credentials (a robot's URL carries its key): the API never shows them back.
CREATE TABLE chat_channels (
  id text PRIMARY KEY,
  person_id text REFERENCES people (id) ON DELETE CASCADE,
  program_id text,
  rota_name text,
  kind text NOT NULL CHECK (kind IN ('webhook', 'wecom', 'dingtalk')),
  url text NOT NULL,
  secret text,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((person_id IS NOT NULL) <> (program_id IS NOT NULL AND rota_name IS NOT NULL))
);
CREATE INDEX chat_channels_by_person ON chat_channels (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX chat_channels_by_rota ON chat_channels (program_id, rota_name) WHERE rota_name IS NOT NULL;

-- How the ladder reaches a person: e-mail (as before), chat, or both. A person on 'chat' with no
-- working chat channel is still e-mailed (see workflows/incident/context.ts).
ALTER TABLE people ADD COLUMN alert_via text NOT NULL DEFAULT 'email' CHECK (alert_via IN ('email', 'chat', 'both'));

-- One row per chat message ever sent, by the workflow's idempotency key: a retry sends nothing twice.
CREATE TABLE chat_outbox (
  idempotency_key text PRIMARY KEY,
  channel_id text NOT NULL,
  template text NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'sent')),
  attempts integer NOT NULL DEFAULT 1,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);

-- Down Migration
DROP TABLE chat_outbox;
ALTER TABLE people DROP COLUMN alert_via;
DROP TABLE chat_channels;
