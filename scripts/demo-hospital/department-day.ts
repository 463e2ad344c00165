/**
 * One department's day of activity (visits, orders, charges, lab results, dispensing) as rows for
 * both systems, each vendor in its own conventions; deterministic per seed, day and department.
 */
import { CHARGE_ITEMS, DRUGS, LAB_TESTS, ORDER_CLASSES, ORDER_TEXTS, type Department, type OrderCategory } from './catalog';
import type { DemoDomainName } from './domains';
import { PATIENT_POOL, fullWidth, patient, rng, type Rng } from '../../adapters/hospital/demo-patients';

export type Row = Record<string, string | number | null>;

export interface Activity {
  key: string;
  dept: Department;
  /** Seconds since local midnight. */
  sec: number;
  legacy: Row;
  next: Row;
  /** Money column of the new row, in units of 0.0001 (domains with an amount). */
  amount4?: number;
}

export const LEGACY_TABLES: Record<DemoDomainName, { table: string; time: string }> = {
  registrations: { table: 'reg_visit', time: 'visit_time' },
  orders: { table: 'ord_order', time: 'order_time' },
  charges: { table: 'fee_charge', time: 'charge_time' },
  lab_results: { table: 'lis_result', time: 'report_time' },
  dispensing: { table: 'phm_dispense', time: 'dispense_time' },
};
export const NEW_TABLES: Record<DemoDomainName, { table: string; time: string }> = {
  registrations: { table: 'encounter', time: 'registered_at' },
  orders: { table: 'clinical_order', time: 'ordered_at' },
  charges: { table: 'charge_item', time: 'charged_at' },
  lab_results: { table: 'lab_observation', time: 'reported_at' },
  dispensing: { table: 'medication_dispense', time: 'dispensed_at' },
};

export const DAY_END = 86_399;

export function hms(sec: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(sec / 3600))}:${p(Math.floor(sec / 60) % 60)}:${p(sec % 60)}`;
}

/** Money in 0.0001 units as the legacy system keeps it: cents, rounded half away from zero. */
function cents(v4: number): string {
  const c = Math.sign(v4) * Math.floor((Math.abs(v4) + 50) / 100);
  const a = Math.abs(c);
  return `${c < 0 ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

export function fourDecimals(v4: number): string {
  const a = Math.abs(v4);
  return `${v4 < 0 ? '-' : ''}${Math.floor(a / 10_000)}.${String(a % 10_000).padStart(4, '0')}`;
}

/** Clinics and imaging work office hours; wards, ICU, ED, the lab and the pharmacy around the clock. */
function openHours(d: Department): [number, number] {
  return d.kind === 'outpatient' || d.kind === 'radiology' ? [7 * 3600 + 1800, 17 * 3600 + 1800] : [0, DAY_END];
}

function legacyDeptCode(d: Department, r: Rng): string {
  // Old clients stored letter codes as typed.
  return /[A-Z]/.test(d.legacyCode) && r.chance(0.2) ? d.legacyCode.toLowerCase() : d.legacyCode;
}

function numbered(prefix: string, yymmdd: string, deptIndex: number, items: { sec: number }[]): string[] {
  return items.map((_, i) => `${prefix}${yymmdd}${String(deptIndex + 1).padStart(2, '0')}${String(i + 1).padStart(4, '0')}`);
}

function bySec<T extends { sec: number }>(items: T[]): T[] {
  return items.sort((a, b) => a.sec - b.sec);
}

/** One department's day, identical whatever is live and whatever discrepancies are asked for. */
export function departmentDay(
  seed: string,
  day: string,
  d: Department,
  deptIndex: number,
  volume: number,
): Record<DemoDomainName, Activity[]> {
  const r = rng(`${seed}|${day}|${d.code}`);
  const yymmdd = day.slice(2).replace(/-/g, '');
  const [open, close] = openHours(d);
  const micro = () => String(r.int(0, 999_999)).padStart(6, '0');
  const legacyTime = (sec: number) => `${day} ${hms(sec)}`;
  const newTime = (sec: number) => `${day} ${hms(sec)}.${micro()}`;
  const after = (sec: number, lo: number, hi: number) => Math.min(sec + r.int(lo, hi), DAY_END);

  const visitSpecs = bySec(Array.from({ length: volume }, () => ({ sec: r.int(open, close - 1), n: r.int(1, PATIENT_POOL) })));
  const visitType = d.kind === 'emergency' ? '3' : d.kind === 'inpatient' || d.kind === 'icu' ? '2' : '1';
  const fees = d.kind === 'outpatient' ? [100_000, 200_000, 500_000] : d.kind === 'emergency' ? [150_000] : [0];
  const visits: Activity[] = numbered('V', yymmdd, deptIndex, visitSpecs).map((key, i) => {
    const s = visitSpecs[i] as (typeof visitSpecs)[number];
    const p = patient(s.n);
    const fee = r.pick(fees);
    return {
      key,
      dept: d,
      sec: s.sec,
      amount4: fee,
      legacy: {
        visit_no: key,
        pat_id: p.id,
        dept_code: legacyDeptCode(d, r),
        visit_type: visitType,
        reg_fee: cents(fee),
        visit_time: legacyTime(s.sec),
      },
      next: {
        encounter_no: key,
        patient_id: p.id,
        department_code: d.code,
        encounter_class: { '1': 'AMB', '2': 'IMP', '3': 'EMER' }[visitType] ?? 'AMB',
        registration_fee: fourDecimals(fee),
        registered_at: newTime(s.sec),
      },
    };
  });
  const pickVisit = () => r.pick(visits);

  const classes = Object.keys(ORDER_CLASSES);
  const orderSpecs = bySec(
    Array.from({ length: volume }, () => {
      const v = pickVisit();
      const cls = r.pick(classes);
      const category = ORDER_CLASSES[cls] as OrderCategory;
      return {
        sec: after(v.sec, 60, 7200),
        v,
        cls,
        category,
        text: r.pick(ORDER_TEXTS[category]),
        qty: category === 'medication' ? r.int(1, 3) : 1,
      };
    }),
  );
  const orders: Activity[] = numbered('O', yymmdd, deptIndex, orderSpecs).map((key, i) => {
    const s = orderSpecs[i] as (typeof orderSpecs)[number];
    return {
      key,
      dept: d,
      sec: s.sec,
      legacy: {
        order_no: key,
        visit_no: s.v.key,
        dept_code: legacyDeptCode(d, r),
        order_class: s.cls,
        order_text: r.chance(0.4) ? fullWidth(s.text) : s.text,
        qty: `${s.qty}.00`,
        order_time: legacyTime(s.sec),
      },
      next: {
        order_no: key,
        encounter_no: s.v.key,
        department_code: d.code,
        category: s.category,
        description: r.chance(0.1) ? `${s.text} ` : s.text,
        quantity: String(s.qty),
        ordered_at: newTime(s.sec),
      },
    };
  });

  const priced = (prefix: string, items: typeof CHARGE_ITEMS, qty: (price4: number, name: string) => number) => {
    const specs = bySec(
      Array.from({ length: volume }, () => {
        const v = pickVisit();
        const item = r.pick(items);
        return { sec: after(v.sec, 120, 14_400), v, item, qty: qty(item.price4, item.name) };
      }),
    );
    return numbered(prefix, yymmdd, deptIndex, specs).map((key, i) => ({ key, s: specs[i] as (typeof specs)[number] }));
  };

  const charges: Activity[] = priced('C', CHARGE_ITEMS, (p) => (p < 10_000 ? r.int(1, 5) : r.int(1, 2))).map(({ key, s }) => {
    const amount4 = s.qty * s.item.price4;
    const legacyCode = r.chance(0.1) ? s.item.legacyCode.toLowerCase() : s.item.legacyCode;
    return {
      key,
      dept: d,
      sec: s.sec,
      amount4,
      legacy: {
        charge_no: key,
        visit_no: s.v.key,
        dept_code: legacyDeptCode(d, r),
        item_code: legacyCode,
        qty: `${s.qty}.00`,
        unit_price: cents(s.item.price4),
        amount: cents(amount4),
        charge_time: legacyTime(s.sec),
      },
      next: {
        charge_no: key,
        encounter_no: s.v.key,
        department_code: d.code,
        charge_code: s.item.newCode,
        quantity: String(s.qty),
        unit_price: fourDecimals(s.item.price4),
        amount: fourDecimals(amount4),
        charged_at: newTime(s.sec),
      },
    };
  });

  const resultSpecs = bySec(
    Array.from({ length: volume }, () => {
      const o = r.pick(orders);
      const t = r.pick(LAB_TESTS);
      const f = 10 ** t.decimals;
      // Mostly normal, one in five outside the reference range.
      const span = t.high - t.low;
      const raw = r.chance(0.8)
        ? t.low + r.next() * span
        : r.chance(0.5)
          ? t.high + r.next() * span * 0.5
          : Math.max(0, t.low - r.next() * span * 0.3);
      const value = Math.round(raw * f) / f;
      return {
        sec: after(o.sec, 1800, 14_400),
        o,
        t,
        value: value.toFixed(t.decimals),
        flag: value > t.high ? 'H' : value < t.low ? 'L' : null,
      };
    }),
  );
  const results: Activity[] = numbered('R', yymmdd, deptIndex, resultSpecs).map((key, i) => {
    const s = resultSpecs[i] as (typeof resultSpecs)[number];
    return {
      key,
      dept: d,
      sec: s.sec,
      legacy: {
        result_no: key,
        order_no: s.o.key,
        dept_code: legacyDeptCode(d, r),
        test_code: r.chance(0.2) ? s.t.code.toLowerCase() : s.t.code,
        result_value: s.value,
        unit: s.t.legacyUnit,
        abn_flag: s.flag ?? ' ',
        report_time: legacyTime(s.sec),
      },
      next: {
        result_no: key,
        order_no: s.o.key,
        department_code: d.code,
        test_code: s.t.code,
        value_numeric: s.value,
        unit: s.t.newUnit,
        interpretation: s.flag,
        reported_at: newTime(s.sec),
      },
    };
  });

  const dispenses: Activity[] = priced('D', DRUGS, (_, name) => (name.includes('注射') ? r.int(1, 4) : r.int(6, 42))).map(({ key, s }) => {
    const amount4 = s.qty * s.item.price4;
    return {
      key,
      dept: d,
      sec: s.sec,
      amount4,
      legacy: {
        dispense_no: key,
        visit_no: s.v.key,
        dept_code: legacyDeptCode(d, r),
        drug_code: r.chance(0.1) ? s.item.legacyCode.toLowerCase() : s.item.legacyCode,
        qty: `${s.qty}.00`,
        unit_price: cents(s.item.price4),
        amount: cents(amount4),
        dispense_time: legacyTime(s.sec),
      },
      next: {
        dispense_no: key,
        encounter_no: s.v.key,
        department_code: d.code,
        drug_code: s.item.newCode,
        quantity: String(s.qty),
        unit_price: fourDecimals(s.item.price4),
        amount: fourDecimals(amount4),
        dispensed_at: newTime(s.sec),
      },
    };
  });

  return { registrations: visits, orders, charges, lab_results: results, dispensing: dispenses };
}
