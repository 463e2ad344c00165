-- Up Migration
CREATE TABLE comparison_run (
  id uuid PRIMARY KEY,
  domain text NOT NULL,
  business_day date,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  key_range_lo text,
  key_range_hi text,
  status text NOT NULL CHECK (status IN ('running', 'clean', 'warning', 'critical', 'failed')),
  rows_legacy bigint,
  rows_new bigint,
  distinct_keys bigint,
  matched bigint,
  missing_in_legacy bigint,
  missing_in_new bigint,
  mismatched bigint,
  duplicate_keys_legacy bigint,
  duplicate_keys_new bigint,
  unmapped_codes bigint,
  differing_keys bigint,
  mismatch_rate double precision,
  field_mismatches jsonb NOT NULL DEFAULT '{}'::jsonb,
  unmapped_by_field jsonb NOT NULL DEFAULT '{}'::jsonb,
  differences bigint,
  settle_ms integer NOT NULL DEFAULT 0,
  thresholds jsonb NOT NULL DEFAULT '{}'::jsonb,
  error_code text,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comparison_run_domain_day_idx ON comparison_run (domain, business_day);

CREATE TABLE comparison_difference (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES comparison_run (id) ON DELETE CASCADE,
  key jsonb NOT NULL,
  kind text NOT NULL CHECK (kind IN ('missing_in_legacy', 'missing_in_new', 'duplicate_in_legacy',
                                     'duplicate_in_new', 'mismatch', 'unmapped_code')),
  field text,
  legacy_value text,
  new_value text
);
CREATE INDEX comparison_difference_run_key_idx ON comparison_difference (run_id, key);

-- Down Migration
DROP TABLE IF EXISTS comparison_difference;
DROP TABLE IF EXISTS comparison_run;
