import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client } from 'pg';
import { compareDomain } from '../../compare';
import {
  DEMO_DEPARTMENTS,
  DEMO_DOMAIN_NAMES,
  DEMO_EPISODES,
  DEMO_THRESHOLDS,
  DISCREPANCY_KINDS,
  createDemoHospital,
  demoCompareInput,
  demoParallelRunDomains,
  demoScenario,
  runSimulator,
  simulateDay,
  type DemoDomainName,
  type SimulatedDay,
} from '../../scripts/demo-hospital';
import { freshDatabase, type TestDatabase } from '../helpers/db';

const TZ = 'Asia/Shanghai';
const LIVE = ['IM-OPD', 'LAB', 'ICU', 'ED'];
let legacyUrl: string;
let newUrl: string;
let results: TestDatabase;

async function sql<T extends Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

async function compareAll(businessDay: string) {
  const out = {} as Record<DemoDomainName, Awaited<ReturnType<typeof compareDomain>>>;
  await Promise.all(
    DEMO_DOMAIN_NAMES.map(async (name) => {
      out[name] = await compareDomain(demoCompareInput(name, { legacyUrl, newUrl, resultsUrl: results.url, businessDay, tz: TZ }));
    }),
  );
  return out;
}

/** Content of both systems for a day (surrogate ids excluded), to check determinism and idempotence. */
async function fingerprint(day: string): Promise<string> {
  const [legacy] = await sql<{ h: string; n: string }>(
    legacyUrl,
    `SELECT md5(string_agg(t, '|' ORDER BY t)) AS h, count(*) AS n FROM (
       SELECT concat_ws(',', visit_no, pat_id, dept_code, visit_type, reg_fee, visit_time) AS t FROM reg_visit WHERE visit_time::date = $1
       UNION ALL SELECT concat_ws(',', order_no, order_text, order_time) FROM ord_order WHERE order_time::date = $1
       UNION ALL SELECT concat_ws(',', charge_no, item_code, amount, charge_time) FROM fee_charge WHERE charge_time::date = $1
       UNION ALL SELECT concat_ws(',', result_no, test_code, result_value, unit, report_time) FROM lis_result WHERE report_time::date = $1
       UNION ALL SELECT concat_ws(',', dispense_no, drug_code, amount, dispense_time) FROM phm_dispense WHERE dispense_time::date = $1) x`,
    [day],
  );
  const [next] = await sql<{ h: string; n: string }>(
    newUrl,
    `SELECT md5(string_agg(t, '|' ORDER BY t)) AS h, count(*) AS n FROM (
       SELECT concat_ws(',', encounter_no, patient_id, department_code, registration_fee, registered_at) AS t FROM encounter
         WHERE (registered_at AT TIME ZONE '${TZ}')::date = $1
       UNION ALL SELECT concat_ws(',', order_no, description, ordered_at) FROM clinical_order WHERE (ordered_at AT TIME ZONE '${TZ}')::date = $1
       UNION ALL SELECT concat_ws(',', charge_no, charge_code, amount, charged_at) FROM charge_item WHERE (charged_at AT TIME ZONE '${TZ}')::date = $1
       UNION ALL SELECT concat_ws(',', result_no, value_numeric, reported_at) FROM lab_observation WHERE (reported_at AT TIME ZONE '${TZ}')::date = $1
       UNION ALL SELECT concat_ws(',', dispense_no, drug_code, amount, dispensed_at) FROM medication_dispense
         WHERE (dispensed_at AT TIME ZONE '${TZ}')::date = $1) x`,
    [day],
  );
  return `${legacy?.n}:${legacy?.h}/${next?.n}:${next?.h}`;
}

beforeAll(async () => {
  const suffix = randomBytes(4).toString('hex');
  ({ legacyUrl, newUrl } = await createDemoHospital({
    adminUrl: inject('pgAdminUrl'),
    legacyDatabase: `demo_legacy_${suffix}`,
    newDatabase: `demo_new_${suffix}`,
  }));
  // Creating again is a no-op.
  await createDemoHospital({ adminUrl: inject('pgAdminUrl'), legacyDatabase: `demo_legacy_${suffix}`, newDatabase: `demo_new_${suffix}` });
  results = await freshDatabase('demo_results');
}, 30_000);

afterAll(async () => {
  await results?.close();
});

describe('demo hospital', () => {
  it('holds the code map for all 23 plan departments, the charge items and the drugs', async () => {
    const rows = await sql<{ kind: string; n: string }>(newUrl, 'SELECT kind, count(*) AS n FROM code_map GROUP BY kind ORDER BY kind');
    expect(rows).toEqual([
      { kind: 'charge', n: '16' },
      { kind: 'dept', n: '23' },
      { kind: 'drug', n: '14' },
    ]);
    const im = await sql(newUrl, `SELECT new_code FROM code_map WHERE kind = 'dept' AND legacy_code = '0101'`);
    expect(im).toEqual([{ new_code: 'IM-OPD' }]);
    const plan = demoParallelRunDomains({ codeMapUrl: newUrl });
    expect(plan.map((d) => [d.name, d.legacy.urlEnv, d.new.urlEnv])).toEqual(
      DEMO_DOMAIN_NAMES.map((n) => [n, 'DEMO_LEGACY_DB_URL', 'DEMO_NEW_DB_URL']),
    );
  });

  it('a clean day compares clean in all five domains, despite the two vendors writing differently', async () => {
    const day = '2024-03-01';
    const truth = await simulateDay({
      legacyUrl,
      newUrl,
      businessDay: day,
      tz: TZ,
      departments: LIVE,
      volume: 20,
      discrepancyRate: 0,
      seed: 'clean',
    });
    const res = await compareAll(day);
    for (const name of DEMO_DOMAIN_NAMES) {
      const r = res[name];
      const t = truth.domains[name];
      expect(t.discrepancies).toEqual([]);
      expect({
        name,
        status: r.status,
        differences: r.differences,
        rowsLegacy: r.rowsLegacy,
        rowsNew: r.rowsNew,
        matched: r.matched,
      }).toEqual({
        name,
        status: 'clean',
        differences: 0,
        rowsLegacy: LIVE.length * 20,
        rowsNew: LIVE.length * 20,
        matched: LIVE.length * 20,
      });
      expect(t.compared).toEqual({ legacy: LIVE.length * 20, new: LIVE.length * 20 });
      expect(t.inserted).toEqual({ legacy: DEMO_DEPARTMENTS.length * 20, new: LIVE.length * 20 });
    }
    // The raw rows really do differ between the vendors; only normalisation makes them equal.
    const [raw] = await sql<Record<string, string>>(
      newUrl,
      `SELECT (SELECT count(*) FROM patient WHERE full_name <> normalize(full_name, NFKC) OR full_name <> btrim(full_name)) AS names,
              (SELECT count(*) FROM encounter WHERE extract(microseconds FROM registered_at)::int % 1000000 <> 0) AS micros,
              (SELECT count(*) FROM charge_item WHERE scale(unit_price) = 4 AND unit_price <> round(unit_price, 2)) AS prices`,
    );
    const [legacyRaw] = await sql<Record<string, string>>(
      legacyUrl,
      `SELECT (SELECT count(*) FROM ord_order WHERE order_text <> normalize(order_text, NFKC)) AS fullwidth,
              (SELECT count(*) FROM lis_result WHERE unit IN ('\u00b5mol/L', '％', 'MMOL/L')) AS units,
              (SELECT count(*) FROM pat_master WHERE pat_name ~ '^[A-Z ]+$') AS pinyin,
              (SELECT count(*) FROM fee_charge WHERE item_code <> upper(item_code) OR dept_code <> upper(dept_code)) AS lowercase`,
    );
    for (const v of [...Object.values(raw ?? {}), ...Object.values(legacyRaw ?? {})]) expect(Number(v)).toBeGreaterThan(0);
  }, 20_000);

  it('finds exactly the injected discrepancies, by kind and key', async () => {
    const day = '2024-03-02';
    const truth = await simulateDay({
      legacyUrl,
      newUrl,
      businessDay: day,
      tz: TZ,
      departments: LIVE,
      volume: 30,
      discrepancyRate: 0.05,
      seed: 'faulty',
    });
    const res = await compareAll(day);
    const byKind: Record<string, number> = {};
    for (const name of DEMO_DOMAIN_NAMES) {
      const t = truth.domains[name];
      const found = await sql<{ key: string; kind: string; field: string | null }>(
        results.url,
        'SELECT key::text AS key, kind, field FROM comparison_difference WHERE run_id = $1',
        [res[name].runId],
      );
      const actual = found.map((d) => `${d.kind}|${d.field ?? ''}|${d.key}`).sort();
      const expected = t.discrepancies.map((d) => `${d.difference.kind}|${d.difference.field ?? ''}|${JSON.stringify([d.key])}`).sort();
      expect({ name, differences: actual }).toEqual({ name, differences: expected });
      expect(res[name].differingKeys).toBe(t.discrepancies.length);
      expect([res[name].rowsLegacy, res[name].rowsNew]).toEqual([t.compared.legacy, t.compared.new]);
      for (const d of t.discrepancies) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
    }
    // Every kind occurs on this day (deterministic for the seed), so each mapping above is exercised.
    expect(Object.keys(byKind).sort()).toEqual([...DISCREPANCY_KINDS].sort());
    expect(res.charges.status).not.toBe('clean');
  }, 20_000);

  it('records only live departments in the new system; every department in the legacy one', async () => {
    const day = '2024-03-03';
    await simulateDay({ legacyUrl, newUrl, businessDay: day, tz: TZ, departments: ['LAB', 'PEDS-OPD'], volume: 5, seed: 'live' });
    const window = `>= '${day} 00:00+08' AND %s < '${day} 00:00+08'::timestamptz + interval '1 day'`;
    for (const [table, column] of [
      ['encounter', 'registered_at'],
      ['clinical_order', 'ordered_at'],
      ['charge_item', 'charged_at'],
      ['lab_observation', 'reported_at'],
      ['medication_dispense', 'dispensed_at'],
    ]) {
      const rows = await sql<{ d: string }>(
        newUrl,
        `SELECT DISTINCT department_code AS d FROM ${table} WHERE ${column} ${window.replace('%s', column as string)} ORDER BY 1`,
      );
      expect({ table, departments: rows.map((r) => r.d) }).toEqual({ table, departments: ['LAB', 'PEDS-OPD'] });
    }
    const legacy = await sql<{ n: string }>(
      legacyUrl,
      `SELECT count(DISTINCT upper(dept_code)) AS n FROM fee_charge WHERE charge_time::date = $1`,
      [day],
    );
    expect(legacy).toEqual([{ n: '23' }]);
    const dual = await sql<{ d: string }>(legacyUrl, 'SELECT dept_code AS d FROM sys_dual_track WHERE biz_date = $1 ORDER BY 1', [day]);
    expect(dual.map((r) => r.d)).toEqual(['0401', '1001']);
  });

  it('is deterministic per seed and replaces the day when re-run', async () => {
    const day = '2024-03-04';
    const opts = { legacyUrl, newUrl, businessDay: day, tz: TZ, departments: LIVE, volume: 10, discrepancyRate: 0.05, seed: 'seed-a' };
    const first: SimulatedDay = await simulateDay(opts);
    const printA = await fingerprint(day);
    const again = await simulateDay(opts);
    expect(again).toEqual(first);
    expect(await fingerprint(day)).toBe(printA);
    expect(
      printA.startsWith(
        `${DEMO_DEPARTMENTS.length * 10 * 5 - first.domains.lab_results.discrepancies.filter((d) => d.kind === 'result-missing-in-legacy').length}:`,
      ),
    ).toBe(true);

    const other = await simulateDay({ ...opts, seed: 'seed-b' });
    expect(other.domains).not.toEqual(first.domains);
    expect(await fingerprint(day)).not.toBe(printA);
    await simulateDay(opts);
    expect(await fingerprint(day)).toBe(printA);
    const res = await compareAll(day);
    for (const name of DEMO_DOMAIN_NAMES) expect(res[name].differingKeys).toBe(first.domains[name].discrepancies.length);
  }, 20_000);

  it('runSimulator records today so far for the departments live at each tick, until stopped', async () => {
    const at = new Date('2024-03-05T10:00:00+08:00');
    let live = ['IM-OPD'];
    const days: SimulatedDay[] = [];
    const errors: Error[] = [];
    const sim = runSimulator({
      legacyUrl,
      newUrl,
      tz: TZ,
      liveDepartments: () => live,
      everyMs: 20,
      volume: 20,
      discrepancyRate: 0,
      seed: 'live-sim',
      now: () => at,
      onTick: (d) => {
        days.push(d);
        live = ['IM-OPD', 'LAB'];
      },
      onError: (e) => errors.push(e),
    });
    await expect.poll(() => days.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    await sim.stop();
    const ticks = days.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(days.length).toBe(ticks);
    expect(errors).toEqual([]);
    expect(days[0]?.liveDepartments).toEqual(['IM-OPD']);
    expect(days.at(-1)?.liveDepartments).toEqual(['IM-OPD', 'LAB']);
    expect(days.at(-1)?.businessDay).toBe('2024-03-05');

    const [latest] = await sql<{ latest: string; n: string }>(
      legacyUrl,
      `SELECT to_char(max(visit_time), 'HH24:MI:SS') AS latest, count(*) AS n FROM reg_visit WHERE visit_time::date = '2024-03-05'`,
    );
    expect(latest?.latest && latest.latest <= '10:00:00').toBe(true);
    expect(Number(latest?.n)).toBe(days.at(-1)?.domains.registrations.inserted.legacy);
    expect(Number(latest?.n)).toBeLessThan(DEMO_DEPARTMENTS.length * 20);
    const res = await compareDomain(
      demoCompareInput('charges', { legacyUrl, newUrl, resultsUrl: results.url, businessDay: '2024-03-05', tz: TZ }),
    );
    expect([res.status, res.rowsLegacy]).toEqual(['clean', days.at(-1)?.domains.charges.compared.legacy]);
    expect(res.rowsLegacy).toBeGreaterThan(0);
  });

  it("scripts the demo's story: the pilot's first night a warning, the pharmacy's a critical one, every other night clean", async () => {
    // Demo nights are 2-minute windows from the pilot's go-live, bounded to the millisecond.
    const day = '2024-03-06';
    const pilotLive = Date.parse('2024-03-06T10:00:00.437+08:00');
    const waves = [
      { wave: 1, departments: ['IM-OPD', 'LAB'], wentLiveAt: new Date(pilotLive).toISOString() },
      { wave: 2, departments: ['ICU', 'ED'], wentLiveAt: '2024-03-06T02:04:10.120Z' },
      { wave: 3, departments: ['PHARM'], wentLiveAt: '2024-03-06T02:09:31.815Z' },
      { wave: 4, departments: ['RAD'] },
    ];
    const scripted = demoScenario(waves);
    expect(scripted.map((e) => [e.department, e.at.toISOString()])).toEqual([
      ['LAB', '2024-03-06T02:01:30.437Z'],
      ['PHARM', '2024-03-06T02:11:01.815Z'],
    ]);
    expect(demoScenario(waves.map((w) => ({ ...w, wentLiveAt: undefined })))).toEqual([]);
    // The counts against the thresholds: above warning and not above critical, and above critical.
    expect(DEMO_EPISODES.pilotTeething.count).toBeGreaterThan(DEMO_THRESHOLDS.warning.count);
    expect(DEMO_EPISODES.pilotTeething.count).toBeLessThanOrEqual(DEMO_THRESHOLDS.critical.count);
    expect(DEMO_EPISODES.pharmacyDictionaryGap.count).toBeGreaterThan(DEMO_THRESHOLDS.critical.count);

    // Recorded up to 10:02, the scripted episodes of later instants are there all the same.
    const truth = await simulateDay({
      legacyUrl,
      newUrl,
      businessDay: day,
      tz: TZ,
      departments: ['IM-OPD', 'LAB', 'ICU', 'ED', 'PHARM'],
      volume: 300,
      discrepancyRate: 0,
      seed: 'story',
      scripted,
      until: new Date(pilotLive + 30 * 60_000),
    });
    expect(truth.domains.charges.discrepancies.map((d) => d.key)).toEqual(['C24030602S001', 'C24030602S002', 'C24030602S003']);
    expect(truth.domains.dispensing.discrepancies).toHaveLength(12);

    const nights: Record<string, string[]> = {};
    let rows = 0;
    for (let k = 0; k < 8; k++) {
      const window = { from: new Date(pilotLive + k * 120_000).toISOString(), to: new Date(pilotLive + (k + 1) * 120_000).toISOString() };
      nights[k] = [];
      for (const name of DEMO_DOMAIN_NAMES) {
        const r = await compareDomain({
          ...demoCompareInput(name, { legacyUrl, newUrl, resultsUrl: results.url, businessDay: day, tz: TZ }),
          window,
          businessDay: undefined,
        });
        // The three missing charges are legacy rows only; everything else is on both sides.
        expect(r.rowsLegacy).toBe(r.rowsNew + (name === 'charges' && k === 0 ? 3 : 0));
        rows += r.rowsLegacy;
        if (r.status !== 'clean') nights[k]!.push(`${name}:${r.status}:${r.differingKeys}`);
      }
    }
    expect(nights).toEqual({ 0: ['charges:warning:3'], 1: [], 2: [], 3: [], 4: [], 5: ['dispensing:critical:12'], 6: [], 7: [] });
    expect(rows).toBeGreaterThan(100);

    await expect(
      simulateDay({
        legacyUrl,
        newUrl,
        businessDay: day,
        tz: TZ,
        departments: ['PHARM'],
        scripted: [{ ...scripted[1]!, domain: 'orders' }],
      }),
    ).rejects.toThrow('no unmapped-code discrepancies in orders');
  }, 30_000);
});
