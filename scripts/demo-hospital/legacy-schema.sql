-- Legacy HIS (vendor A, 2000s design): abbreviated table names, CHAR codes padded with spaces,
-- 4-character department codes, naive hospital-local timestamps to the second, money as numeric(12,2).
-- Idempotent: run on every start of the demo hospital.

CREATE TABLE IF NOT EXISTS pat_master (
  pat_id      char(10) PRIMARY KEY,
  mrn         char(10) NOT NULL,
  pat_name    char(20) NOT NULL,
  sex_code    char(1)  NOT NULL,          -- 1 male, 2 female (GB/T 2261.1)
  birth_date  date
);

CREATE TABLE IF NOT EXISTS sys_dept (
  dept_code   char(4) PRIMARY KEY,
  dept_name   varchar(40) NOT NULL
);

-- Departments in dual-track (parallel) operation on a business day: the interface engine copies
-- their activity to the new system, so only these are comparable.
CREATE TABLE IF NOT EXISTS sys_dual_track (
  biz_date    date    NOT NULL,
  dept_code   char(4) NOT NULL,
  PRIMARY KEY (biz_date, dept_code)
);

-- No unique constraints on the business numbers: the old system never had them, which is how
-- duplicates get in.
CREATE TABLE IF NOT EXISTS reg_visit (
  row_id      bigserial PRIMARY KEY,
  visit_no    char(14) NOT NULL,
  pat_id      char(10) NOT NULL,
  dept_code   char(4)  NOT NULL,
  visit_type  char(1)  NOT NULL,          -- 1 outpatient, 2 inpatient, 3 emergency
  reg_fee     numeric(12,2) NOT NULL,
  visit_time  timestamp(0) NOT NULL
);
CREATE INDEX IF NOT EXISTS reg_visit_time_idx ON reg_visit (visit_time);

CREATE TABLE IF NOT EXISTS ord_order (
  row_id      bigserial PRIMARY KEY,
  order_no    char(16) NOT NULL,
  visit_no    char(14) NOT NULL,
  dept_code   char(4)  NOT NULL,
  order_class char(2)  NOT NULL,          -- YP drug, JY lab, JC imaging, ZL treatment
  order_text  varchar(60) NOT NULL,
  qty         numeric(10,2) NOT NULL,
  order_time  timestamp(0) NOT NULL
);
CREATE INDEX IF NOT EXISTS ord_order_time_idx ON ord_order (order_time);

CREATE TABLE IF NOT EXISTS fee_charge (
  row_id      bigserial PRIMARY KEY,
  charge_no   char(16) NOT NULL,
  visit_no    char(14) NOT NULL,
  dept_code   char(4)  NOT NULL,
  item_code   varchar(10) NOT NULL,
  qty         numeric(10,2) NOT NULL,
  unit_price  numeric(12,2) NOT NULL,
  amount      numeric(12,2) NOT NULL,
  charge_time timestamp(0) NOT NULL
);
CREATE INDEX IF NOT EXISTS fee_charge_time_idx ON fee_charge (charge_time);

CREATE TABLE IF NOT EXISTS lis_result (
  row_id       bigserial PRIMARY KEY,
  result_no    char(16) NOT NULL,
  order_no     char(16) NOT NULL,
  dept_code    char(4)  NOT NULL,
  test_code    char(8)  NOT NULL,
  result_value varchar(20) NOT NULL,
  unit         varchar(16) NOT NULL,
  abn_flag     char(1)  NOT NULL DEFAULT ' ',
  report_time  timestamp(0) NOT NULL
);
CREATE INDEX IF NOT EXISTS lis_result_time_idx ON lis_result (report_time);

CREATE TABLE IF NOT EXISTS phm_dispense (
  row_id        bigserial PRIMARY KEY,
  dispense_no   char(16) NOT NULL,
  visit_no      char(14) NOT NULL,
  dept_code     char(4)  NOT NULL,
  drug_code     varchar(12) NOT NULL,
  qty           numeric(10,2) NOT NULL,
  unit_price    numeric(12,2) NOT NULL,
  amount        numeric(12,2) NOT NULL,
  dispense_time timestamp(0) NOT NULL
);
CREATE INDEX IF NOT EXISTS phm_dispense_time_idx ON phm_dispense (dispense_time);
