-- Up Migration
-- The language a person reads: their e-mails and chat messages, and the command center when they
-- sign in. NULL: the hospital's (the plan's hospital.locale).
ALTER TABLE people ADD COLUMN locale text CHECK (locale IN ('zh-CN', 'en'));

-- Down Migration
ALTER TABLE people DROP COLUMN locale;
