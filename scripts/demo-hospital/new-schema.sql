-- New EMR/HIS (vendor B, FHIR-shaped): descriptive names, the migration plan's department codes,
-- timestamptz to the microsecond, money as numeric(14,4), free text as entered (full-width forms
-- from Chinese input methods included). Idempotent: run on every start of the demo hospital.

CREATE TABLE IF NOT EXISTS patient (
  patient_id  text PRIMARY KEY,
  mrn         text NOT NULL,
  full_name   text NOT NULL,
  gender      text NOT NULL CHECK (gender IN ('male', 'female')),
  birth_date  date
);

-- The migration plan's code mappings (legacy code -> new code), read by the nightly comparison.
CREATE TABLE IF NOT EXISTS code_map (
  kind        text NOT NULL CHECK (kind IN ('dept', 'charge', 'drug')),
  legacy_code text NOT NULL,
  new_code    text NOT NULL,
  PRIMARY KEY (kind, legacy_code)
);

-- Business numbers are not unique: a replayed interface message shows up as a second row.
CREATE TABLE IF NOT EXISTS encounter (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  encounter_no     text NOT NULL,
  patient_id       text NOT NULL,
  department_code  text NOT NULL,
  encounter_class  text NOT NULL,          -- HL7 v3 ActCode: AMB, IMP, EMER
  registration_fee numeric(14,4) NOT NULL,
  registered_at    timestamptz(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS encounter_registered_at_idx ON encounter (registered_at);

CREATE TABLE IF NOT EXISTS clinical_order (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_no        text NOT NULL,
  encounter_no    text NOT NULL,
  department_code text NOT NULL,
  category        text NOT NULL,           -- medication, laboratory, imaging, procedure
  description     text NOT NULL,
  quantity        numeric(14,4) NOT NULL,
  ordered_at      timestamptz(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS clinical_order_ordered_at_idx ON clinical_order (ordered_at);

CREATE TABLE IF NOT EXISTS charge_item (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  charge_no       text NOT NULL,
  encounter_no    text NOT NULL,
  department_code text NOT NULL,
  charge_code     text NOT NULL,
  quantity        numeric(14,4) NOT NULL,
  unit_price      numeric(14,4) NOT NULL,
  amount          numeric(14,4) NOT NULL,
  charged_at      timestamptz(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS charge_item_charged_at_idx ON charge_item (charged_at);

CREATE TABLE IF NOT EXISTS lab_observation (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  result_no       text NOT NULL,
  order_no        text NOT NULL,
  department_code text NOT NULL,
  test_code       text NOT NULL,
  value_numeric   numeric(14,4) NOT NULL,
  unit            text NOT NULL,
  interpretation  text,                    -- H / L, NULL when normal
  reported_at     timestamptz(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS lab_observation_reported_at_idx ON lab_observation (reported_at);

CREATE TABLE IF NOT EXISTS medication_dispense (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dispense_no     text NOT NULL,
  encounter_no    text NOT NULL,
  department_code text NOT NULL,
  drug_code       text NOT NULL,
  quantity        numeric(14,4) NOT NULL,
  unit_price      numeric(14,4) NOT NULL,
  amount          numeric(14,4) NOT NULL,
  dispensed_at    timestamptz(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS medication_dispense_dispensed_at_idx ON medication_dispense (dispensed_at);
