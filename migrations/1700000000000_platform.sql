-- Up Migration
-- Every e-mail golive sends, keyed by the idempotency key the workflow computed:
-- a retried or replayed send finds its row and does not send again.
CREATE TABLE email_outbox (
  idempotency_key text PRIMARY KEY,
  recipient text NOT NULL,
  template text NOT NULL,
  subject text NOT NULL,
  message_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'sent')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);

-- Down Migration
DROP TABLE email_outbox;
