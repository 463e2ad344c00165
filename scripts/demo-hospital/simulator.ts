/**
 * The demo hospital's day: registrations, orders, charges, lab results and dispensing, recorded in
 * the legacy HIS for every department and, for departments live on the new system, in the new
 * EMR/HIS as well, each vendor in its own conventions. A small rate of realistic discrepancies is
 * injected and returned as the truth, so the nightly comparison has something real to find.
 *
 * Deterministic per (businessDay, seed) and idempotent: a run replaces that business day on both
 * sides. Nothing here logs or throws row data.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime, IANAZone } from 'luxon';
import { Client } from 'pg';
import type { DifferenceKind } from '../../compare';
import {
  CHARGE_ITEMS,
  DEMO_DEPARTMENTS,
  DRUGS,
  LAB_TESTS,
  ORDER_CLASSES,
  ORDER_TEXTS,
  UNMAPPED_CHARGE_PREFIX,
  UNMAPPED_DRUG_PREFIX,
  type Department,
  type OrderCategory,
} from './catalog';
import { DEMO_DOMAIN_NAMES, DEMO_TIME_ZONE, businessDayWindow, type DemoDomainName } from './domains';
import { PATIENT_POOL, fullWidth, patient, rng, unit, type Rng } from '../../adapters/hospital/demo-patients';

export const DISCREPANCY_KINDS = ['charge-missing-in-new', 'amount-off', 'unmapped-code', 'duplicate', 'result-missing-in-legacy'] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** Which discrepancies can happen in which domain. */
export const DOMAIN_DISCREPANCIES: Record<DemoDomainName, readonly DiscrepancyKind[]> = {
  registrations: ['amount-off', 'duplicate'],
  orders: ['duplicate'],
  charges: ['charge-missing-in-new', 'amount-off', 'unmapped-code', 'duplicate'],
  lab_results: ['result-missing-in-legacy', 'duplicate'],
  dispensing: ['amount-off', 'unmapped-code', 'duplicate'],
};

const AMOUNT_FIELD: Partial<Record<DemoDomainName, string>> = {
  registrations: 'registration_fee',
  charges: 'amount',
  dispensing: 'amount',
};
const CODE_FIELD: Partial<Record<DemoDomainName, string>> = { charges: 'item_code', dispensing: 'drug_code' };

/** The difference the comparison engine reports for an injected discrepancy. */
export function expectedDifference(domain: DemoDomainName, kind: DiscrepancyKind): { kind: DifferenceKind; field: string | null } {
  switch (kind) {
    case 'charge-missing-in-new':
      return { kind: 'missing_in_new', field: null };
    case 'result-missing-in-legacy':
      return { kind: 'missing_in_legacy', field: null };
    case 'duplicate':
      return { kind: 'duplicate_in_new', field: null };
    case 'amount-off':
      return { kind: 'mismatch', field: AMOUNT_FIELD[domain] ?? null };
    case 'unmapped-code':
      return { kind: 'unmapped_code', field: CODE_FIELD[domain] ?? null };
  }
}

export interface InjectedDiscrepancy {
  kind: DiscrepancyKind;
  /** The domain's key value (opaque record number). */
  key: string;
  difference: { kind: DifferenceKind; field: string | null };
}

export interface DomainTruth {
  /** Rows written for the business day, per side. */
  inserted: { legacy: number; new: number };
  /** Rows the domain's window queries return (legacy: live departments only). */
  compared: { legacy: number; new: number };
  discrepancies: InjectedDiscrepancy[];
}

export interface SimulatedDay {
  businessDay: string;
  tz: string;
  window: { from: string; to: string };
  liveDepartments: string[];
  domains: Record<DemoDomainName, DomainTruth>;
}

export interface SimulateDayOptions {
  legacyUrl: string;
  newUrl: string;
  businessDay: string;
  tz?: string;
  /** Departments live on the new system (plan codes); every department records in the legacy system. */
  departments: readonly string[];
  /** Rows per department per domain (before discrepancies). */
  volume?: number;
  discrepancyRate?: number;
  kinds?: readonly DiscrepancyKind[];
  seed?: string;
  /** Record only what happened before this instant (the simulator's "today so far"). Scripted episodes are not held back. */
  until?: Date;
  /** Scripted discrepancies on top of the random ones (those of this business day and of live departments apply). */
  scripted?: readonly ScriptedDiscrepancies[];
}

/**
 * A scripted discrepancy episode, for a demo that must show a given night's status whatever the
 * hour: `count` extra activities of `department` in `domain`, all in the second of `at` (so they
 * fall into one night), each with a discrepancy of `kind` (one of DOMAIN_DISCREPANCIES[domain]).
 * They are recorded as soon as the simulator knows of them, even ahead of the clock, so the
 * comparison of the night holding `at` finds them however soon after `at` it runs. Their keys
 * carry an S where ordinary keys have a digit, so they never collide with the day's own activities.
 */
export interface ScriptedDiscrepancies {
  at: Date;
  department: string;
  domain: DemoDomainName;
  kind: DiscrepancyKind;
  /** 1..99. */
  count: number;
}

type Row = Record<string, string | number | null>;

interface Activity {
  key: string;
  dept: Department;
  /** Seconds since local midnight. */
  sec: number;
  legacy: Row;
  next: Row;
  /** Money column of the new row, in units of 0.0001 (domains with an amount). */
  amount4?: number;
}

interface DayPlan {
  legacy: Record<DemoDomainName, Row[]>;
  next: Record<DemoDomainName, Row[]>;
  legacyPatients: Row[];
  newPatients: Row[];
  truth: SimulatedDay;
}

const LEGACY_TABLES: Record<DemoDomainName, { table: string; time: string }> = {
  registrations: { table: 'reg_visit', time: 'visit_time' },
  orders: { table: 'ord_order', time: 'order_time' },
  charges: { table: 'fee_charge', time: 'charge_time' },
  lab_results: { table: 'lis_result', time: 'report_time' },
  dispensing: { table: 'phm_dispense', time: 'dispense_time' },
};
const NEW_TABLES: Record<DemoDomainName, { table: string; time: string }> = {
  registrations: { table: 'encounter', time: 'registered_at' },
  orders: { table: 'clinical_order', time: 'ordered_at' },
  charges: { table: 'charge_item', time: 'charged_at' },
  lab_results: { table: 'lab_observation', time: 'reported_at' },
  dispensing: { table: 'medication_dispense', time: 'dispensed_at' },
};

const DAY_END = 86_399;

function hms(sec: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(sec / 3600))}:${p(Math.floor(sec / 60) % 60)}:${p(sec % 60)}`;
}

/** Money in 0.0001 units as the legacy system keeps it: cents, rounded half away from zero. */
function cents(v4: number): string {
  const c = Math.sign(v4) * Math.floor((Math.abs(v4) + 50) / 100);
  const a = Math.abs(c);
  return `${c < 0 ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

function fourDecimals(v4: number): string {
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
function departmentDay(seed: string, day: string, d: Department, deptIndex: number, volume: number): Record<DemoDomainName, Activity[]> {
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

function injectedKind(
  seed: string,
  day: string,
  domain: DemoDomainName,
  key: string,
  rate: number,
  kinds: ReadonlySet<DiscrepancyKind>,
): DiscrepancyKind | null {
  const possible = DOMAIN_DISCREPANCIES[domain].filter((k) => kinds.has(k));
  if (possible.length === 0 || unit(`${seed}|${day}|${domain}|${key}|disc`) >= rate) return null;
  return possible[Math.floor(unit(`${seed}|${day}|${domain}|${key}|kind`) * possible.length)] ?? null;
}

function untilSecond(until: Date | undefined, day: string, tz: string): number {
  if (!until) return DAY_END;
  const local = DateTime.fromJSDate(until, { zone: tz });
  const today = local.toISODate() as string;
  if (today > day) return DAY_END;
  if (today < day) return -1;
  return local.hour * 3600 + local.minute * 60 + local.second;
}

interface Resolved {
  businessDay: string;
  tz: string;
  live: Set<string>;
  volume: number;
  rate: number;
  kinds: Set<DiscrepancyKind>;
  seed: string;
  until?: Date;
  scripted: readonly ScriptedDiscrepancies[];
}

function resolve(o: SimulateDayOptions): Resolved {
  const tz = o.tz ?? DEMO_TIME_ZONE;
  if (!IANAZone.isValidZone(tz)) throw new Error('demo-hospital: invalid time zone');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.businessDay) || !DateTime.fromISO(o.businessDay).isValid)
    throw new Error('demo-hospital: invalid business day');
  const known = new Set(DEMO_DEPARTMENTS.map((d) => d.code));
  for (const d of o.departments) if (!known.has(d)) throw new Error(`demo-hospital: unknown department ${d}`);
  const volume = o.volume ?? 30;
  if (!Number.isInteger(volume) || volume < 1 || volume > 9999) throw new Error('demo-hospital: volume must be 1..9999');
  const rate = o.discrepancyRate ?? 0.002;
  if (!(rate >= 0 && rate <= 1)) throw new Error('demo-hospital: discrepancyRate must be in [0, 1]');
  for (const k of o.kinds ?? []) if (!DISCREPANCY_KINDS.includes(k)) throw new Error(`demo-hospital: unknown discrepancy kind ${k}`);
  for (const e of o.scripted ?? []) {
    if (!known.has(e.department)) throw new Error(`demo-hospital: unknown department ${e.department}`);
    if (!DOMAIN_DISCREPANCIES[e.domain]?.includes(e.kind)) throw new Error(`demo-hospital: no ${e.kind} discrepancies in ${e.domain}`);
    if (!Number.isInteger(e.count) || e.count < 1 || e.count > 99)
      throw new Error('demo-hospital: a scripted episode has 1..99 discrepancies');
    if (Number.isNaN(e.at.getTime())) throw new Error('demo-hospital: a scripted episode needs a valid instant');
  }
  return {
    businessDay: o.businessDay,
    tz,
    live: new Set(o.departments),
    volume,
    rate,
    kinds: new Set(o.kinds ?? DISCREPANCY_KINDS),
    seed: o.seed ?? 'golive-demo',
    until: o.until,
    scripted: o.scripted ?? [],
  };
}

/** The whole day as rows per side plus the truth; pure (no I/O). */
export function planDay(o: SimulateDayOptions): DayPlan {
  const c = resolve(o);
  const cutoff = untilSecond(c.until, c.businessDay, c.tz);
  const empty = () => Object.fromEntries(DEMO_DOMAIN_NAMES.map((n) => [n, [] as Row[]])) as Record<DemoDomainName, Row[]>;
  const legacy = empty();
  const next = empty();
  const domains = Object.fromEntries(
    DEMO_DOMAIN_NAMES.map((n) => [
      n,
      { inserted: { legacy: 0, new: 0 }, compared: { legacy: 0, new: 0 }, discrepancies: [] as InjectedDiscrepancy[] },
    ]),
  ) as Record<DemoDomainName, DomainTruth>;
  const legacyPatients = new Map<string, Row>();
  const newPatients = new Map<string, Row>();
  const addPatient = (id: string, side: 'legacy' | 'new') => {
    const n = Number(id.slice(1));
    const p = patient(n);
    if (side === 'legacy') {
      legacyPatients.set(id, {
        pat_id: p.id,
        mrn: p.mrn,
        pat_name: p.legacyName,
        sex_code: p.sex === 'male' ? '1' : '2',
        birth_date: p.birthDate,
      });
    } else {
      newPatients.set(id, { patient_id: p.id, mrn: p.mrn, full_name: p.newName, gender: p.sex, birth_date: p.birthDate });
    }
  };

  /** Writes one activity to the sides it reaches, with its discrepancy if any, and keeps the truth. */
  const record = (domain: DemoDomainName, a: Activity, live: boolean, kind: DiscrepancyKind | null) => {
    const truth = domains[domain];
    let legacyRow: Row | null = a.legacy;
    let newRows: Row[] = live ? [a.next] : [];
    if (kind === 'charge-missing-in-new') newRows = [];
    else if (kind === 'result-missing-in-legacy') legacyRow = null;
    else if (kind === 'duplicate') newRows = [a.next, a.next];
    else if (kind === 'amount-off') {
      // A price or discount applied in one system only: 0.50 to 20.00 yuan off.
      const delta = (1 + (hashDelta(c.seed, a.key) % 40)) * 5_000;
      const column = domain === 'registrations' ? 'registration_fee' : 'amount';
      newRows = [{ ...a.next, [column]: fourDecimals((a.amount4 ?? 0) + delta) }];
    } else if (kind === 'unmapped-code') {
      // A dictionary item created in the legacy system after the mapping was frozen.
      const column = domain === 'charges' ? 'item_code' : 'drug_code';
      const prefix = domain === 'charges' ? UNMAPPED_CHARGE_PREFIX : UNMAPPED_DRUG_PREFIX;
      legacyRow = { ...a.legacy, [column]: `${prefix}${String(hashDelta(c.seed, a.key) % 10_000).padStart(4, '0')}` };
    }
    if (legacyRow) {
      legacy[domain].push(legacyRow);
      truth.inserted.legacy++;
      if (live) truth.compared.legacy++;
      if (domain === 'registrations') addPatient(String(legacyRow.pat_id), 'legacy');
    }
    for (const row of newRows) {
      next[domain].push(row);
      truth.inserted.new++;
      truth.compared.new++;
      if (domain === 'registrations') addPatient(String(row.patient_id), 'new');
    }
    if (kind) truth.discrepancies.push({ kind, key: a.key, difference: expectedDifference(domain, kind) });
  };

  DEMO_DEPARTMENTS.forEach((d, deptIndex) => {
    const day = departmentDay(c.seed, c.businessDay, d, deptIndex, c.volume);
    const live = c.live.has(d.code);
    for (const domain of DEMO_DOMAIN_NAMES) {
      for (const a of day[domain]) {
        if (a.sec > cutoff) continue;
        record(domain, a, live, live ? injectedKind(c.seed, c.businessDay, domain, a.key, c.rate, c.kinds) : null);
      }
      if (!live) continue;
      // Scripted episodes: copies of the day's first activities, moved to the episode's second.
      let n = 0;
      for (const e of c.scripted) {
        if (e.department !== d.code || e.domain !== domain) continue;
        const at = DateTime.fromJSDate(e.at, { zone: c.tz });
        if (at.toISODate() !== c.businessDay) continue;
        const start = at.hour * 3600 + at.minute * 60 + at.second;
        for (let i = 0; i < e.count; i++) {
          const template = day[domain][i % day[domain].length] as Activity;
          n++;
          record(
            domain,
            scriptedCopy(domain, template, `${template.key.slice(0, 9)}S${String(n).padStart(3, '0')}`, c.businessDay, start),
            true,
            e.kind,
          );
        }
      }
    }
  });

  return {
    legacy,
    next,
    legacyPatients: [...legacyPatients.values()],
    newPatients: [...newPatients.values()],
    truth: {
      businessDay: c.businessDay,
      tz: c.tz,
      window: businessDayWindow(c.businessDay, c.tz),
      liveDepartments: DEMO_DEPARTMENTS.filter((d) => c.live.has(d.code)).map((d) => d.code),
      domains,
    },
  };
}

const KEY_COLUMNS: Record<DemoDomainName, { legacy: string; next: string }> = {
  registrations: { legacy: 'visit_no', next: 'encounter_no' },
  orders: { legacy: 'order_no', next: 'order_no' },
  charges: { legacy: 'charge_no', next: 'charge_no' },
  lab_results: { legacy: 'result_no', next: 'result_no' },
  dispensing: { legacy: 'dispense_no', next: 'dispense_no' },
};

/** An activity like `a` under another key at another second of the day. */
function scriptedCopy(domain: DemoDomainName, a: Activity, key: string, day: string, sec: number): Activity {
  const k = KEY_COLUMNS[domain];
  return {
    ...a,
    key,
    sec,
    legacy: { ...a.legacy, [k.legacy]: key, [LEGACY_TABLES[domain].time]: `${day} ${hms(sec)}` },
    next: { ...a.next, [k.next]: key, [NEW_TABLES[domain].time]: `${day} ${hms(sec)}` },
  };
}

function hashDelta(seed: string, key: string): number {
  return Math.floor(unit(`${seed}|${key}|delta`) * 1_000_000);
}

async function insertRows(c: Client, table: string, rows: Row[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const cols = Object.keys(first).join(', ');
  for (let i = 0; i < rows.length; i += 5000) {
    await c.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`, [
      JSON.stringify(rows.slice(i, i + 5000)),
    ]);
  }
}

/** Errors carry the PostgreSQL code only: a driver message may quote row values. */
function sanitized(e: unknown, side: string): Error {
  const code = (e as { code?: unknown })?.code;
  return new Error(
    `demo-hospital: writing the ${side} system failed${typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (PostgreSQL error ${code})` : ''}`,
  );
}

async function inTransaction(url: string, side: string, tz: string, work: (c: Client) => Promise<void>): Promise<void> {
  const c = new Client({ connectionString: url, application_name: 'golive-demo-hospital' });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('BEGIN');
    // Naive local times from the simulator are the hospital's wall clock.
    await c.query(`SELECT set_config('TimeZone', $1, true)`, [tz]);
    await work(c);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw sanitized(e, side);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Record one business day in both systems (replacing that day if it was recorded before) and
 * return the truth: rows per side and domain, and the injected discrepancies.
 */
export async function simulateDay(o: SimulateDayOptions): Promise<SimulatedDay> {
  const plan = planDay(o);
  const { businessDay, tz, window, liveDepartments } = plan.truth;
  const legacyLive = DEMO_DEPARTMENTS.filter((d) => liveDepartments.includes(d.code)).map((d) => d.legacyCode);

  await inTransaction(o.legacyUrl, 'legacy', tz, async (c) => {
    for (const domain of DEMO_DOMAIN_NAMES) {
      const t = LEGACY_TABLES[domain];
      await c.query(`DELETE FROM ${t.table} WHERE ${t.time} >= $1::date AND ${t.time} < $1::date + 1`, [businessDay]);
    }
    await c.query('DELETE FROM sys_dual_track WHERE biz_date = $1', [businessDay]);
    await c.query('INSERT INTO sys_dual_track (biz_date, dept_code) SELECT $1::date, unnest($2::text[])', [businessDay, legacyLive]);
    await c.query(
      `INSERT INTO pat_master SELECT * FROM json_populate_recordset(NULL::pat_master, $1::json) ON CONFLICT (pat_id) DO NOTHING`,
      [JSON.stringify(plan.legacyPatients)],
    );
    for (const domain of DEMO_DOMAIN_NAMES) await insertRows(c, LEGACY_TABLES[domain].table, plan.legacy[domain]);
  });

  await inTransaction(o.newUrl, 'new', tz, async (c) => {
    for (const domain of DEMO_DOMAIN_NAMES) {
      const t = NEW_TABLES[domain];
      await c.query(`DELETE FROM ${t.table} WHERE ${t.time} >= $1::timestamptz AND ${t.time} < $2::timestamptz`, [window.from, window.to]);
    }
    await c.query(
      `INSERT INTO patient SELECT * FROM json_populate_recordset(NULL::patient, $1::json) ON CONFLICT (patient_id) DO NOTHING`,
      [JSON.stringify(plan.newPatients)],
    );
    for (const domain of DEMO_DOMAIN_NAMES) await insertRows(c, NEW_TABLES[domain].table, plan.next[domain]);
  });

  return plan.truth;
}

export interface RunSimulatorOptions {
  legacyUrl: string;
  newUrl: string;
  tz?: string;
  /** Departments live on the new system right now (asked at every tick). */
  liveDepartments: () => readonly string[] | Promise<readonly string[]>;
  everyMs?: number;
  seed?: string;
  volume?: number;
  discrepancyRate?: number;
  kinds?: readonly DiscrepancyKind[];
  /** Scripted episodes (asked at every tick, after liveDepartments). */
  scripted?: () => readonly ScriptedDiscrepancies[] | Promise<readonly ScriptedDiscrepancies[]>;
  /** Record today up to now (default) or the whole of today at once. */
  untilNow?: boolean;
  now?: () => Date;
  onTick?: (day: SimulatedDay) => void;
  /** Tick failures (message without row data); the simulator keeps running. */
  onError?: (error: Error) => void;
}

export interface SimulatorHandle {
  /** Record today once, now (also what every interval does). */
  tick(): Promise<SimulatedDay>;
  /** Stop the loop and wait for a running tick to finish. */
  stop(): Promise<void>;
}

/** Record "today" for the live departments every `everyMs` (first tick at once), until stopped. */
export function runSimulator(o: RunSimulatorOptions): SimulatorHandle {
  const tz = o.tz ?? DEMO_TIME_ZONE;
  const now = o.now ?? (() => new Date());
  const abort = new AbortController();
  let chain: Promise<unknown> = Promise.resolve();

  const tick = (): Promise<SimulatedDay> => {
    const run = chain.then(async () => {
      const at = now();
      const day = await simulateDay({
        legacyUrl: o.legacyUrl,
        newUrl: o.newUrl,
        tz,
        businessDay: DateTime.fromJSDate(at, { zone: tz }).toISODate() as string,
        departments: [...(await o.liveDepartments())],
        scripted: o.scripted ? await o.scripted() : undefined,
        volume: o.volume,
        discrepancyRate: o.discrepancyRate,
        kinds: o.kinds,
        seed: o.seed,
        until: o.untilNow === false ? undefined : at,
      });
      o.onTick?.(day);
      return day;
    });
    chain = run.catch(() => undefined);
    return run;
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        await tick();
      } catch (e) {
        o.onError?.(e instanceof Error && e.message.startsWith('demo-hospital:') ? e : new Error('demo-hospital: simulator tick failed'));
      }
      await sleep(o.everyMs ?? 30_000, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();

  return {
    tick,
    stop: async () => {
      abort.abort();
      await loop;
      await chain;
    },
  };
}
