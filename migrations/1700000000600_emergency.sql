-- Up Migration
-- What each department needs to work on paper: census, active orders, pending results and the
-- blank forms, from the last good data the adapter could give. Patient data: only the
-- authorized download reads `content`; e-mails carry a link.
CREATE TABLE downtime_packet (
  id uuid PRIMARY KEY,
  program_id text NOT NULL,
  emergency integer NOT NULL,
  department text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  as_of timestamptz NOT NULL,
  census_count integer NOT NULL,
  active_orders_count integer NOT NULL,
  pending_results_count integer NOT NULL,
  forms text[] NOT NULL,
  content jsonb NOT NULL,
  UNIQUE (program_id, emergency, department)
);

-- Downtime state of the demo hospital's simulated systems.
CREATE TABLE simulated_downtime (
  program_id text NOT NULL,
  department text NOT NULL,
  state text NOT NULL CHECK (state IN ('downtime', 'normal')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, department)
);

-- Down Migration
DROP TABLE simulated_downtime;
DROP TABLE downtime_packet;
