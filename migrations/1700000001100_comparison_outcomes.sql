-- Up Migration
-- Outcomes of a comparison beside the original categories (docs/comparison.md): counts only.
ALTER TABLE comparison_run ADD COLUMN outcomes jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE comparison_difference DROP CONSTRAINT comparison_difference_kind_check;
ALTER TABLE comparison_difference ADD CONSTRAINT comparison_difference_kind_check
  CHECK (kind IN ('missing_in_legacy', 'missing_in_new', 'duplicate_in_legacy', 'duplicate_in_new', 'mismatch',
                  'unmapped_code', 'invalid_key', 'ambiguous_time'));

-- Down Migration
DELETE FROM comparison_difference WHERE kind IN ('invalid_key', 'ambiguous_time');
ALTER TABLE comparison_difference DROP CONSTRAINT comparison_difference_kind_check;
ALTER TABLE comparison_difference ADD CONSTRAINT comparison_difference_kind_check
  CHECK (kind IN ('missing_in_legacy', 'missing_in_new', 'duplicate_in_legacy', 'duplicate_in_new', 'mismatch', 'unmapped_code'));
ALTER TABLE comparison_run DROP COLUMN IF EXISTS outcomes;
