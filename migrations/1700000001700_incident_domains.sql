-- Up Migration
-- The comparison domains an incident is about (codes from the plan, never data): a comparison
-- incident names them, and a repeat on another domain adds it.
ALTER TABLE incidents ADD COLUMN domains text[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE incidents DROP COLUMN domains;
