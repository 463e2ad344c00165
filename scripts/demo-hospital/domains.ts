/**
 * The demo hospital's five parallel-run domains as plain data: for each, the comparison's
 * `DomainSpec` and the two vendors' window queries ($1, $2 = business-day bounds [from, to)).
 * The queries present both systems under the same logical column names; the spec then
 * normalises what still differs (padding, case, full-width text, code systems, money scale,
 * timestamp precision and zone).
 */
import { DateTime, IANAZone } from 'luxon';
import type { CompareInput, DomainSpecInput } from '../../compare';

export const DEMO_DOMAIN_NAMES = ['registrations', 'orders', 'charges', 'lab_results', 'dispensing'] as const;
export type DemoDomainName = (typeof DEMO_DOMAIN_NAMES)[number];
/** The demo hospital's words for its domains (its plan is written in English, like its departments' names). */
const DEMO_DOMAIN_TITLES: Record<DemoDomainName, string> = {
  registrations: 'Registrations',
  orders: 'Orders',
  charges: 'Charges',
  lab_results: 'Lab results',
  dispensing: 'Dispensing',
};

/** Environment variables holding the two systems' connection strings in the demo stack. */
export const DEMO_LEGACY_URL_ENV = 'DEMO_LEGACY_DB_URL';
export const DEMO_NEW_URL_ENV = 'DEMO_NEW_DB_URL';
/** The code map lives in the new system's database (`code_map`). */
export const DEMO_CODE_MAP_URL_ENV = DEMO_NEW_URL_ENV;

export const DEMO_TIME_ZONE = 'Asia/Shanghai';

export const DEMO_CODE_MAP_QUERIES = {
  dept: `SELECT legacy_code, new_code FROM code_map WHERE kind = 'dept'`,
  charge: `SELECT legacy_code, new_code FROM code_map WHERE kind = 'charge'`,
  drug: `SELECT legacy_code, new_code FROM code_map WHERE kind = 'drug'`,
} as const;

/**
 * Any difference is a warning; more than 10 differing keys in a domain in one night is critical.
 * Counts, not rates: a demo night is a 2-minute window holding a few dozen rows per domain, where
 * a single missed charge is already several percent.
 */
export const DEMO_THRESHOLDS = { warning: { count: 0 }, critical: { count: 10 } };

function zoneLiteral(tz: string): string {
  if (!IANAZone.isValidZone(tz)) throw new Error('demo-hospital: invalid time zone');
  return `'${tz.replace(/'/g, "''")}'`;
}

/** The business day [from, to) in the hospital's zone, as ISO-8601 with offset. */
export function businessDayWindow(businessDay: string, tz: string): { from: string; to: string } {
  const start = DateTime.fromISO(businessDay, { zone: tz }).startOf('day');
  if (!start.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(businessDay)) throw new Error('demo-hospital: invalid business day or time zone');
  return { from: start.toISO() as string, to: start.plus({ days: 1 }).toISO() as string };
}

const key = (name: string) => ({ name, normalize: { trim: true, case: 'upper' as const } });
const upper = { trim: true, case: 'upper' as const };
const dept = { name: 'department', codeMap: 'dept', normalize: upper };
const money = (name: string) => ({ name, type: 'numeric' as const, scale: 2, tolerance: '0.01' });
const price = (name: string) => ({ name, type: 'numeric' as const, scale: 2 });
const quantity = { name: 'quantity', type: 'numeric' as const };
const at = (name: string, tz: string) => ({ name, type: 'timestamp' as const, timestampPrecision: 'second' as const, timeZone: tz });

function tableMap(url: string, kind: keyof typeof DEMO_CODE_MAP_QUERIES) {
  return { kind: 'table' as const, url, query: DEMO_CODE_MAP_QUERIES[kind] };
}

/** The comparison spec of one domain. `codeMapUrl` is the new system's database (DEMO_NEW_DB_URL). */
export function demoDomainSpec(name: DemoDomainName, opts: { codeMapUrl: string; tz?: string }): DomainSpecInput {
  const tz = opts.tz ?? DEMO_TIME_ZONE;
  zoneLiteral(tz);
  const defaults = { normalize: { trim: true } };
  switch (name) {
    case 'registrations':
      return {
        name,
        key: [key('visit_no')],
        fields: [
          { name: 'patient_id', normalize: upper },
          { name: 'mrn' },
          { name: 'patient_name', normalize: { nfkc: true, trim: true, case: 'upper' } },
          { name: 'sex', codeMap: 'sex', normalize: upper },
          { name: 'birth_date', type: 'date' },
          dept,
          { name: 'visit_type', codeMap: 'encounter_class', normalize: upper },
          money('registration_fee'),
          at('registered_at', tz),
        ],
        codeMaps: {
          dept: tableMap(opts.codeMapUrl, 'dept'),
          sex: { kind: 'inline', entries: { '1': 'MALE', '2': 'FEMALE' } },
          encounter_class: { kind: 'inline', entries: { '1': 'AMB', '2': 'IMP', '3': 'EMER' } },
        },
        defaults,
      };
    case 'orders':
      return {
        name,
        key: [key('order_no')],
        fields: [
          { name: 'visit_no', normalize: upper },
          dept,
          { name: 'category', codeMap: 'order_category', normalize: upper },
          { name: 'description', normalize: { nfkc: true, trim: true } },
          quantity,
          at('ordered_at', tz),
        ],
        codeMaps: {
          dept: tableMap(opts.codeMapUrl, 'dept'),
          order_category: { kind: 'inline', entries: { YP: 'MEDICATION', JY: 'LABORATORY', JC: 'IMAGING', ZL: 'PROCEDURE' } },
        },
        defaults,
      };
    case 'charges':
      return {
        name,
        key: [key('charge_no')],
        fields: [
          { name: 'visit_no', normalize: upper },
          dept,
          { name: 'item_code', codeMap: 'charge', normalize: upper },
          quantity,
          price('unit_price'),
          money('amount'),
          at('charged_at', tz),
        ],
        codeMaps: { dept: tableMap(opts.codeMapUrl, 'dept'), charge: tableMap(opts.codeMapUrl, 'charge') },
        defaults,
      };
    case 'lab_results':
      return {
        name,
        key: [key('result_no')],
        fields: [
          { name: 'order_no', normalize: upper },
          dept,
          { name: 'test_code', normalize: upper },
          { name: 'value', type: 'numeric' },
          { name: 'unit', normalize: { nfkc: true, trim: true, case: 'upper' } },
          { name: 'flag', normalize: { nfkc: true, trim: true, case: 'upper', emptyAsNull: true } },
          at('reported_at', tz),
        ],
        codeMaps: { dept: tableMap(opts.codeMapUrl, 'dept') },
        defaults,
      };
    case 'dispensing':
      return {
        name,
        key: [key('dispense_no')],
        fields: [
          { name: 'visit_no', normalize: upper },
          dept,
          { name: 'drug_code', codeMap: 'drug', normalize: upper },
          quantity,
          price('unit_price'),
          money('amount'),
          at('dispensed_at', tz),
        ],
        codeMaps: { dept: tableMap(opts.codeMapUrl, 'dept'), drug: tableMap(opts.codeMapUrl, 'drug') },
        defaults,
      };
  }
}

/**
 * Legacy rows count only for departments in dual-track operation that day (`sys_dual_track`):
 * departments not yet live record in the legacy system alone.
 */
function legacyWindow(alias: string, column: string, tz: string): string {
  const z = zoneLiteral(tz);
  return `JOIN sys_dual_track t ON t.dept_code = upper(${alias}.dept_code) AND t.biz_date = ${alias}.${column}::date
WHERE ${alias}.${column} >= ($1 AT TIME ZONE ${z}) AND ${alias}.${column} < ($2 AT TIME ZONE ${z})`;
}

/**
 * The new system keeps microseconds, the legacy one whole seconds. A window bound inside a second
 * (the demo's nights start when a wave went live, to the millisecond) would put a row of that
 * second in one night on the legacy side and in the next on the new side: both sides round the
 * bounds up to the whole second, as the legacy side's comparison does by itself.
 */
function newWindow(column: string): string {
  const up = (bound: string) => `date_trunc('second', ${bound} + interval '0.999999 second')`;
  return `WHERE ${column} >= ${up('$1')} AND ${column} < ${up('$2')}`;
}

/** The two systems' window queries of one domain. */
export function demoQueries(name: DemoDomainName, tz: string = DEMO_TIME_ZONE): { legacy: string; new: string } {
  switch (name) {
    case 'registrations':
      return {
        legacy: `SELECT v.visit_no, p.pat_id AS patient_id, p.mrn, p.pat_name AS patient_name, p.sex_code AS sex, p.birth_date,
  v.dept_code AS department, v.visit_type, v.reg_fee AS registration_fee, v.visit_time AS registered_at
FROM reg_visit v JOIN pat_master p ON p.pat_id = v.pat_id
${legacyWindow('v', 'visit_time', tz)}`,
        new: `SELECT e.encounter_no AS visit_no, e.patient_id, p.mrn, p.full_name AS patient_name, p.gender AS sex, p.birth_date,
  e.department_code AS department, e.encounter_class AS visit_type, e.registration_fee, e.registered_at
FROM encounter e JOIN patient p ON p.patient_id = e.patient_id
${newWindow('e.registered_at')}`,
      };
    case 'orders':
      return {
        legacy: `SELECT o.order_no, o.visit_no, o.dept_code AS department, o.order_class AS category, o.order_text AS description,
  o.qty AS quantity, o.order_time AS ordered_at
FROM ord_order o
${legacyWindow('o', 'order_time', tz)}`,
        new: `SELECT order_no, encounter_no AS visit_no, department_code AS department, category, description, quantity, ordered_at
FROM clinical_order
${newWindow('ordered_at')}`,
      };
    case 'charges':
      return {
        legacy: `SELECT c.charge_no, c.visit_no, c.dept_code AS department, c.item_code, c.qty AS quantity, c.unit_price, c.amount,
  c.charge_time AS charged_at
FROM fee_charge c
${legacyWindow('c', 'charge_time', tz)}`,
        new: `SELECT charge_no, encounter_no AS visit_no, department_code AS department, charge_code AS item_code, quantity, unit_price,
  amount, charged_at
FROM charge_item
${newWindow('charged_at')}`,
      };
    case 'lab_results':
      return {
        legacy: `SELECT r.result_no, r.order_no, r.dept_code AS department, r.test_code, r.result_value AS value, r.unit,
  r.abn_flag AS flag, r.report_time AS reported_at
FROM lis_result r
${legacyWindow('r', 'report_time', tz)}`,
        new: `SELECT result_no, order_no, department_code AS department, test_code, value_numeric AS value, unit,
  interpretation AS flag, reported_at
FROM lab_observation
${newWindow('reported_at')}`,
      };
    case 'dispensing':
      return {
        legacy: `SELECT d.dispense_no, d.visit_no, d.dept_code AS department, d.drug_code, d.qty AS quantity, d.unit_price, d.amount,
  d.dispense_time AS dispensed_at
FROM phm_dispense d
${legacyWindow('d', 'dispense_time', tz)}`,
        new: `SELECT dispense_no, encounter_no AS visit_no, department_code AS department, drug_code, quantity, unit_price, amount,
  dispensed_at
FROM medication_dispense
${newWindow('dispensed_at')}`,
      };
  }
}

export interface DemoPostgresSource {
  kind: 'postgres';
  urlEnv: typeof DEMO_LEGACY_URL_ENV | typeof DEMO_NEW_URL_ENV;
  query: string;
}

/** One entry of the demo plan's `parallelRun.domains`. */
export interface DemoParallelRunDomain {
  name: DemoDomainName;
  title: string;
  spec: DomainSpecInput;
  legacy: DemoPostgresSource;
  new: DemoPostgresSource;
  thresholds: typeof DEMO_THRESHOLDS;
}

/** All five domains as plan data; the code maps need the new system's URL (value of DEMO_NEW_DB_URL). */
export function demoParallelRunDomains(opts: { codeMapUrl: string; tz?: string }): DemoParallelRunDomain[] {
  const tz = opts.tz ?? DEMO_TIME_ZONE;
  return DEMO_DOMAIN_NAMES.map((name) => {
    const q = demoQueries(name, tz);
    return {
      name,
      title: DEMO_DOMAIN_TITLES[name],
      spec: demoDomainSpec(name, { codeMapUrl: opts.codeMapUrl, tz }),
      legacy: { kind: 'postgres', urlEnv: DEMO_LEGACY_URL_ENV, query: q.legacy },
      new: { kind: 'postgres', urlEnv: DEMO_NEW_URL_ENV, query: q.new },
      thresholds: DEMO_THRESHOLDS,
    };
  });
}

/** A ready `compareDomain` input for one domain and business day. */
export function demoCompareInput(
  name: DemoDomainName,
  opts: { legacyUrl: string; newUrl: string; resultsUrl: string; businessDay: string; tz?: string },
): CompareInput {
  const tz = opts.tz ?? DEMO_TIME_ZONE;
  const q = demoQueries(name, tz);
  return {
    spec: demoDomainSpec(name, { codeMapUrl: opts.newUrl, tz }),
    legacy: { kind: 'postgres', url: opts.legacyUrl, query: q.legacy },
    new: { kind: 'postgres', url: opts.newUrl, query: q.new },
    window: businessDayWindow(opts.businessDay, tz),
    businessDay: opts.businessDay,
    thresholds: DEMO_THRESHOLDS,
    resultsUrl: opts.resultsUrl,
  };
}
