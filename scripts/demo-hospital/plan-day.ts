/**
 * The whole business day as rows per side plus the truth: every department's activities, cut at
 * "now", with the random and scripted discrepancies applied. Pure (no I/O); simulator.ts writes it.
 */
import { DateTime, IANAZone } from 'luxon';
import { DEMO_DEPARTMENTS, UNMAPPED_CHARGE_PREFIX, UNMAPPED_DRUG_PREFIX } from './catalog';
import { DEMO_DOMAIN_NAMES, DEMO_TIME_ZONE, businessDayWindow, type DemoDomainName } from './domains';
import { patient, unit } from '../../adapters/hospital/demo-patients';
import {
  DISCREPANCY_KINDS,
  DOMAIN_DISCREPANCIES,
  expectedDifference,
  injectedKind,
  type DiscrepancyKind,
  type InjectedDiscrepancy,
  type ScriptedDiscrepancies,
} from './discrepancies';
import { DAY_END, departmentDay, fourDecimals, hms, LEGACY_TABLES, NEW_TABLES, type Activity, type Row } from './department-day';

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

interface DayPlan {
  legacy: Record<DemoDomainName, Row[]>;
  next: Record<DemoDomainName, Row[]>;
  legacyPatients: Row[];
  newPatients: Row[];
  truth: SimulatedDay;
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
