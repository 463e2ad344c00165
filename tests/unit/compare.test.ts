import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { freshDatabase, sqlAt, type TestDatabase } from '../helpers/db';
import { streamDifferencesCsv } from '../../app/differences-csv';
import { compareDomain, keyRanges, type CompareResult, type DomainSpecInput } from '../../compare';
import { HashMap } from '../../compare/hashMap';
import { instantHash } from '../../compare/sql/traits';

let legacy: TestDatabase;
let next: TestDatabase;
// The run's results live next to the legacy rows (all migrations are applied to both systems).
let results: TestDatabase;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-test-'));
const WINDOW = { from: '2024-03-01T00:00:00+08:00', to: '2024-03-02T00:00:00+08:00' };

const sql = sqlAt;

/** Run `f` with COMPARE_TRACE on; the engine's trace lines (field names and counts only) are returned with its result. */
async function withTrace<T>(f: () => Promise<T>): Promise<{ result: T; trace: string }> {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.env.COMPARE_TRACE = '1';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string' || !chunk.startsWith('[compare] ')) return write(chunk, ...rest);
    lines.push(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const result = await f();
    return { result, trace: lines.join('') };
  } finally {
    process.stderr.write = write;
    delete process.env.COMPARE_TRACE;
  }
}

beforeAll(async () => {
  legacy = await freshDatabase('cmp_legacy');
  next = await freshDatabase('cmp_new');
  results = legacy;
}, 60_000);

afterAll(async () => {
  for (const d of [legacy, next]) await d?.close();
});

const spec: DomainSpecInput = {
  name: 'charges',
  key: [{ name: 'visit_no' }, { name: 'line_no' }],
  fields: [
    { name: 'patient_name', normalize: { nfkc: true, trim: true, emptyAsNull: true } },
    { name: 'item', normalize: { nfkc: true, trim: true, case: 'upper' } },
    { name: 'dept', codeMap: 'dept', normalize: { trim: true } },
    { name: 'amount', type: 'numeric', scale: 2, tolerance: '0.01' },
    { name: 'charged_at', type: 'timestamp', timestampPrecision: 'second', timeZone: 'Asia/Shanghai' },
    { name: 'note', normalize: { emptyAsNull: true } },
    { name: 'updated_by', ignore: true },
  ],
  codeMaps: { dept: { kind: 'inline', entries: { D01: 'INT-MED', D02: 'LAB' } } },
};

const LEGACY_DDL = `CREATE TABLE charges (visit_no text, line_no text, patient_name text, item text, dept text,
  amount numeric(12,3), charged_at timestamp(3), note text, updated_by text)`;
const NEW_DDL = `CREATE TABLE charges (visit_no text, line_no text, patient_name text, item text, dept text,
  amount numeric(12,2), charged_at timestamptz, note text, updated_by text)`;
const LEGACY_Q = `SELECT * FROM charges WHERE charged_at >= ($1 AT TIME ZONE 'Asia/Shanghai') AND charged_at < ($2 AT TIME ZONE 'Asia/Shanghai')`;
const NEW_Q = `SELECT * FROM charges WHERE charged_at >= $1 AND charged_at < $2`;

// [visit, line, name, item, dept, amount, charged_at local (legacy, Asia/Shanghai), note]
type L = [string, string, string | null, string, string, string, string, string | null];
// [visit, line, name, item, dept, amount, charged_at (timestamptz), note]
type N = L;

const legacyRows: L[] = [
  ['V1', '1', '王伟', 'CBC', 'D01', '10.000', '2024-03-01 08:00:00', 'x'], // identical
  ['V1', '2', '张三 ', 'CBC', 'D01', '10.000', '2024-03-01 08:00:00', null], // trailing space
  ['V1', '3', 'ＬＩ　Ｍｉｎｇ', 'ＣＢＣ１２', 'D02', '5.000', '2024-03-01 09:00:00', null], // full-width vs half-width
  ['V1', '4', '李娜', 'cbc', 'D01', '1.000', '2024-03-01 09:00:00', null], // letter case
  ['V1', '5', '刘洋', 'CBC', 'D01', '1.000', '2024-03-01 09:00:00', ''], // '' vs NULL (empty-as-null)
  ['V1', '6', '', 'CBC', 'D01', '1.000', '2024-03-01 09:00:00', null], // '' name vs NULL name
  ['V2', '1', '陈静', 'CBC', 'D01', '10.000', '2024-03-01 10:00:00', null], // tolerance: exactly 0.01 -> match
  ['V2', '2', '陈静', 'CBC', 'D01', '10.000', '2024-03-01 10:00:00', null], // 0.011 over -> mismatch
  ['V2', '3', '陈静', 'CBC', 'D01', '10.004', '2024-03-01 10:00:00', null], // scale 2 rounds to 10.00 -> match
  ['V2', '4', '陈静', 'CBC', 'D01', '10.005', '2024-03-01 10:00:00', null], // rounds to 10.01 vs 10.00 -> within tol -> match
  ['V2', '5', '杨磊', 'CBC', 'D01', '2.000', '2024-03-01 08:00:00.000', null], // ms precision vs second -> match
  ['V2', '6', '杨磊', 'CBC', 'D01', '2.000', '2024-03-01 08:00:01', null], // 1 s later -> mismatch
  ['V3', '1', '赵军', 'CBC', 'ZZ', '3.000', '2024-03-01 11:00:00', null], // unmapped code
  ['V3', '2', '赵军', 'CBC', 'D01', '3.000', '2024-03-01 11:00:00', null], // missing in new
  ['V3', '4', '黄芳', 'CBC', 'D01', '3.000', '2024-03-01 11:00:00', null], // duplicate in legacy
  ['V3', '4', '黄芳', 'CBC', 'D01', '3.000', '2024-03-01 11:00:00', null],
  ['V3', '5', '黄芳', 'CBC', 'D01', '3.000', '2024-03-01 11:00:00', null], // duplicate in new
  ['V4', '1', '周敏', 'CBC', 'D01', '1.000', '2024-03-01 00:00:00', null], // composite key ordering
  ['V4', '10', '周敏', 'CBC', 'D01', '1.000', '2024-03-01 23:59:59.999', null], // last ms of the day (in)
  ['V40', '1', '周敏', 'CBC', 'D01', '1.000', '2024-03-01 12:00:00', null],
  ['V5', '1', '吴丽', 'CBC', 'D01', '1.000', '2024-03-01 23:59:59.900', null], // in window here, after midnight in new
  ['V5', '2', '吴丽', 'CBC', 'D01', '1.000', '2024-03-02 00:00:00', null], // out of window (both)
  ['V5', '3', '吴丽', 'CBC', 'D01', '1.000', '2024-02-29 23:59:59.999', null], // out of window (both)
  ['V6', '1', '郑强', 'CBC', 'D01', '7.000', '2024-03-01 13:00:00', null], // several fields differ
];
const newRows: N[] = [
  ['V1', '1', '王伟', 'CBC', 'INT-MED', '10.00', '2024-03-01 00:00:00+00', 'x'],
  ['V1', '2', '张三', 'CBC', 'INT-MED', '10.00', '2024-03-01 00:00:00+00', null],
  ['V1', '3', 'LI Ming', 'CBC12', 'LAB', '5.00', '2024-03-01 01:00:00+00', null],
  ['V1', '4', '李娜', 'CBC', 'INT-MED', '1.00', '2024-03-01 01:00:00+00', null],
  ['V1', '5', '刘洋', 'CBC', 'INT-MED', '1.00', '2024-03-01 01:00:00+00', null],
  ['V1', '6', null, 'CBC', 'INT-MED', '1.00', '2024-03-01 01:00:00+00', null],
  ['V2', '1', '陈静', 'CBC', 'INT-MED', '10.01', '2024-03-01 02:00:00+00', null],
  ['V2', '2', '陈静', 'CBC', 'INT-MED', '10.02', '2024-03-01 02:00:00+00', null],
  ['V2', '3', '陈静', 'CBC', 'INT-MED', '10.00', '2024-03-01 02:00:00+00', null],
  ['V2', '4', '陈静', 'CBC', 'INT-MED', '10.00', '2024-03-01 02:00:00+00', null],
  ['V2', '5', '杨磊', 'CBC', 'INT-MED', '2.00', '2024-03-01 00:00:00.456+00', null],
  ['V2', '6', '杨磊', 'CBC', 'INT-MED', '2.00', '2024-03-01 00:00:00+00', null],
  ['V3', '1', '赵军', 'CBC', 'INT-MED', '3.00', '2024-03-01 03:00:00+00', null],
  ['V3', '3', '赵军', 'CBC', 'INT-MED', '3.00', '2024-03-01 03:00:00+00', null], // missing in legacy
  ['V3', '4', '黄芳', 'CBC', 'INT-MED', '3.00', '2024-03-01 03:00:00+00', null],
  ['V3', '5', '黄芳', 'CBC', 'INT-MED', '3.00', '2024-03-01 03:00:00+00', null],
  ['V3', '5', '黄芳', 'CBC', 'INT-MED', '3.00', '2024-03-01 03:00:00+00', null],
  ['V4', '1', '周敏', 'CBC', 'INT-MED', '1.00', '2024-02-29 16:00:00+00', null],
  ['V4', '10', '周敏', 'CBC', 'INT-MED', '1.00', '2024-03-01 15:59:59.999+00', null],
  ['V40', '1', '周敏', 'CBC', 'INT-MED', '1.00', '2024-03-01 04:00:00+00', null],
  ['V5', '1', '吴丽', 'CBC', 'INT-MED', '1.00', '2024-03-01 16:00:00.100+00', null], // after midnight local
  ['V5', '2', '吴丽', 'CBC', 'INT-MED', '1.00', '2024-03-01 16:00:00+00', null],
  ['V5', '3', '吴丽', 'CBC', 'INT-MED', '1.00', '2024-03-01 15:59:59.999+00', null], // in window here -> missing in legacy
  ['V6', '1', '郑强', 'CHEM', 'LAB', '7.50', '2024-03-01 05:00:00+00', null],
];

async function load(url: string, ddl: string, rows: L[], table = 'charges'): Promise<void> {
  await sql(url, `DROP TABLE IF EXISTS ${table}`);
  await sql(url, ddl.replace('TABLE charges', `TABLE ${table}`));
  for (const r of rows) {
    await sql(
      url,
      `INSERT INTO ${table} (visit_no, line_no, patient_name, item, dept, amount, charged_at, note, updated_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'u')`,
      r,
    );
  }
}

const EXPECTED = {
  rowsLegacy: 22, // 24 minus two rows outside the window
  rowsNew: 22, // 24 minus V5/1 and V5/2 (after midnight local)
  distinctKeys: 23,
  matched: 13,
  missingInLegacy: 2, // V3/3, V5/3
  missingInNew: 2, // V3/2, V5/1
  mismatched: 4, // V2/2, V2/6, V3/1 (unmapped), V6/1
  duplicateKeysLegacy: 1,
  duplicateKeysNew: 1,
  unmappedCodes: 1,
  differingKeys: 10,
};

function pick(r: CompareResult): Record<string, unknown> {
  return Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, (r as unknown as Record<string, unknown>)[k]]));
}

describe('comparison engine', () => {
  beforeAll(async () => {
    await load(legacy.url, LEGACY_DDL, legacyRows);
    await load(next.url, NEW_DDL, newRows);
  });

  it('classifies the tricky corpus exactly (PostgreSQL vs PostgreSQL)', async () => {
    const r = await compareDomain({
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: LEGACY_Q },
      new: { kind: 'postgres', url: next.url, query: NEW_Q },
      window: WINDOW,
      businessDay: '2024-03-01',
      resultsUrl: results.url,
      thresholds: { warning: { count: 0 }, critical: { rate: 0.5 } },
    });
    expect(pick(r)).toEqual(EXPECTED);
    expect(r.fieldMismatches).toEqual({ patient_name: 0, item: 1, dept: 1, amount: 2, charged_at: 1, note: 0 });
    expect(r.unmappedByField).toEqual({ dept: 1 });
    expect(r.status).toBe('warning');
    expect(r.mismatchRate).toBeCloseTo(10 / 23, 10);
    expect(r.differences).toBe(2 + 2 + 2 + 5 + 1); // missing, dup, field mismatches, unmapped
    const run = await sql(results.url, 'SELECT status, matched::int, differences::int FROM comparison_run WHERE id = $1', [r.runId]);
    expect(run.rows[0]).toEqual({ status: 'warning', matched: 13, differences: 12 });
    const d = await sql(
      results.url,
      `SELECT key::text, kind, field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1 AND kind = 'mismatch' AND field = 'amount' ORDER BY key`,
      [r.runId],
    );
    expect(d.rows).toEqual([
      { key: '["V2", "2"]', kind: 'mismatch', field: 'amount', legacy_value: '10.00', new_value: '10.02' },
      { key: '["V6", "1"]', kind: 'mismatch', field: 'amount', legacy_value: '7.00', new_value: '7.50' },
    ]);

    const csv = streamDifferencesCsv(results.url, r.runId);
    let text = '';
    for await (const chunk of csv) text += String(chunk);
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('key,kind,field,legacy_value,new_value');
    expect(lines.length).toBe(13);
  });

  it('gives identical counts with 1 and 3 parallel streams and over split key ranges', async () => {
    const base = {
      spec,
      legacy: { kind: 'postgres' as const, url: legacy.url, query: LEGACY_Q },
      new: { kind: 'postgres' as const, url: next.url, query: NEW_Q },
      window: WINDOW,
      resultsUrl: results.url,
    };
    const one = await compareDomain({ ...base, parallelism: 1 });
    const three = await compareDomain({ ...base, parallelism: 3 });
    expect(pick(one)).toEqual(EXPECTED);
    expect(pick(three)).toEqual(EXPECTED);
    const ranges = await keyRanges({ spec, source: base.legacy, window: WINDOW, resultsUrl: results.url }, 3);
    expect(ranges[0]?.lo).toBeNull();
    expect(ranges[ranges.length - 1]?.hi).toBeNull();
    const parts: CompareResult[] = [];
    for (const kr of ranges) parts.push(await compareDomain({ ...base, keyRange: kr }));
    const sum = (k: keyof CompareResult): number => parts.reduce((a, p) => a + (p[k] as number), 0);
    for (const k of Object.keys(EXPECTED) as (keyof CompareResult)[]) expect(sum(k)).toBe(EXPECTED[k as keyof typeof EXPECTED]);
  });

  it('handles a side with zero rows', async () => {
    await sql(next.url, 'DROP TABLE IF EXISTS empty_charges');
    await sql(next.url, NEW_DDL.replace('TABLE charges', 'TABLE empty_charges'));
    const r = await compareDomain({
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: LEGACY_Q },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM empty_charges WHERE charged_at >= $1 AND charged_at < $2' },
      window: WINDOW,
      resultsUrl: results.url,
      thresholds: { critical: { rate: 0.5 } },
    });
    expect(pick(r)).toEqual({
      rowsLegacy: 22,
      rowsNew: 0,
      distinctKeys: 21,
      matched: 0,
      missingInLegacy: 0,
      missingInNew: 21,
      mismatched: 0,
      duplicateKeysLegacy: 1,
      duplicateKeysNew: 0,
      unmappedCodes: 0,
      differingKeys: 21,
    });
    expect(r.status).toBe('critical');
    const both = await compareDomain({
      spec,
      legacy: { kind: 'postgres', url: next.url, query: 'SELECT * FROM empty_charges' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM empty_charges' },
      window: WINDOW,
      resultsUrl: results.url,
      thresholds: { warning: { count: 0 } },
    });
    expect(both.status).toBe('clean');
    expect(both.distinctKeys).toBe(0);
    expect(both.mismatchRate).toBe(0);
  });

  it('compares a CSV export (legacy) against PostgreSQL, window applied to the file', async () => {
    const header = 'visit_no,line_no,patient_name,item,dept,amount,charged_at,note,updated_by';
    const q = (v: string | null): string => (v === null ? '' : `"${v.replace(/"/g, '""')}"`);
    const body = legacyRows.map((r) => [...r, 'u'].map(q).join(',')).join('\n');
    const file = path.join(tmp, 'legacy.csv');
    writeFileSync(file, `${header}\n${body}\n`);
    const r = await compareDomain({
      spec,
      legacy: { kind: 'csv', path: file, windowColumn: 'charged_at', windowTimeZone: 'Asia/Shanghai' },
      new: { kind: 'postgres', url: next.url, query: NEW_Q },
      window: WINDOW,
      resultsUrl: results.url,
    });
    // CSV has no NULL: '' and NULL are the same there; emptyAsNull fields make that irrelevant, amount scale 2.
    expect(pick(r)).toEqual(EXPECTED);
    const staged = await sql(results.url, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'comparison_stage_%'`);
    expect(staged.rows[0]?.n).toBe(0);
  });

  it('compares PostgreSQL (legacy) against an NDJSON export (new)', async () => {
    const file = path.join(tmp, 'new.ndjson');
    const keys = ['visit_no', 'line_no', 'patient_name', 'item', 'dept', 'amount', 'charged_at', 'note'];
    writeFileSync(file, newRows.map((r) => JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, r[i]])))).join('\n') + '\n');
    const r = await compareDomain({
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: LEGACY_Q },
      new: { kind: 'ndjson', path: file, windowColumn: 'charged_at' },
      window: WINDOW,
      resultsUrl: results.url,
    });
    expect(pick(r)).toEqual(EXPECTED);
  });

  it('settle: a difference fixed during the settle delay does not count', async () => {
    await load(legacy.url, LEGACY_DDL, legacyRows, 'settle_charges');
    await load(next.url, NEW_DDL, newRows, 'settle_charges');
    const runId = '11111111-2222-4333-8444-555555555555';
    const p = compareDomain({
      spec,
      runId,
      legacy: { kind: 'postgres', url: legacy.url, query: LEGACY_Q.replace('charges', 'settle_charges') },
      new: { kind: 'postgres', url: next.url, query: NEW_Q.replace('charges', 'settle_charges') },
      window: WINDOW,
      resultsUrl: results.url,
      settleMs: 1500,
    });
    // wait for the first pass to write its differences, then let the "in-flight" row arrive
    for (let i = 0; i < 100; i++) {
      const n = await sql(results.url, 'SELECT count(*)::int AS n FROM comparison_difference WHERE run_id = $1', [runId]);
      if ((n.rows[0]?.n as number) >= 12) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await sql(next.url, `INSERT INTO settle_charges VALUES ('V3','2','赵军','CBC','INT-MED',3.00,'2024-03-01 03:00:00+00',null,'u')`);
    await sql(next.url, `UPDATE settle_charges SET amount = 10.00 WHERE visit_no = 'V2' AND line_no = '2'`);
    const r = await p;
    expect(pick(r)).toEqual({ ...EXPECTED, matched: 15, missingInNew: 1, mismatched: 3, differingKeys: 8 });
    expect(r.fieldMismatches.amount).toBe(1);
  });

  it('converts naive timestamps by a fixed offset inside the window and by the zone rules elsewhere', async () => {
    await sql(legacy.url, 'DROP TABLE IF EXISTS tz_charges');
    await sql(legacy.url, 'CREATE TABLE tz_charges (id text, booked_at timestamp)');
    await sql(next.url, 'DROP TABLE IF EXISTS tz_charges');
    await sql(next.url, 'CREATE TABLE tz_charges (id text, booked_at timestamptz)');
    const rows: [string, string, string][] = [
      ['S1', '2024-03-01 10:00:00', '2024-03-01 02:00:00+00'], // Shanghai, inside the window
      ['S2', '2023-07-01 10:00:00', '2023-07-01 02:00:00+00'], // far outside the window: zone rules
      ['S3', '2023-07-01 10:00:00', '2023-07-01 03:00:00+00'], // differs by one hour
      ['B1', '2024-03-31 01:30:00', '2024-03-31 00:30:00+00'], // Berlin, before the switch to summer time (+01)
      ['B2', '2024-03-31 03:30:00', '2024-03-31 01:30:00+00'], // after it (+02)
      ['B3', '2024-03-31 03:30:00', '2024-03-31 02:30:00+00'], // +01 applied after the switch: differs
    ];
    for (const [id, l, n] of rows) {
      await sql(legacy.url, 'INSERT INTO tz_charges VALUES ($1, $2)', [id, l]);
      await sql(next.url, 'INSERT INTO tz_charges VALUES ($1, $2)', [id, n]);
    }
    const run = (prefix: string, timeZone: string, window: { from: string; to: string }) =>
      compareDomain({
        spec: { name: 'tz', key: [{ name: 'id' }], fields: [{ name: 'booked_at', type: 'timestamp', timeZone }] },
        legacy: { kind: 'postgres', url: legacy.url, query: `SELECT * FROM tz_charges WHERE id LIKE '${prefix}%'` },
        new: { kind: 'postgres', url: next.url, query: `SELECT * FROM tz_charges WHERE id LIKE '${prefix}%'` },
        window,
        resultsUrl: results.url,
      });
    const shanghai = await run('S', 'Asia/Shanghai', WINDOW);
    expect([shanghai.matched, shanghai.mismatched, shanghai.fieldMismatches.booked_at]).toEqual([2, 1, 1]);
    // the offset changes inside this window, so every value takes the zone rules
    const berlin = await run('B', 'Europe/Berlin', { from: '2024-03-30T00:00:00+01:00', to: '2024-04-01T00:00:00+02:00' });
    expect([berlin.matched, berlin.mismatched, berlin.fieldMismatches.booked_at]).toEqual([2, 1, 1]);
  });

  it('hashes an instant alike on servers with and without timestamptz_hash_extended (PostgreSQL 14 and 15)', async () => {
    // a server before 16 hashes the UTC wall-clock timestamp: the same 64-bit number, whatever
    // the session's zone
    const c = new Client({ connectionString: legacy.url });
    await c.connect();
    try {
      await c.query(`SET TimeZone = 'Asia/Kolkata'`);
      const instants = [
        '2024-03-01 00:00:00+08',
        '1999-12-31 23:59:59.999999+00',
        '2024-03-31 01:30:00+01',
        '1970-01-01 00:00:00+00',
        '2100-06-30 12:00:00.5-09:30',
      ];
      for (const seed of [7, 1016]) {
        const v = `x.t`;
        const r = await c.query<{ a: string | null; b: string | null }>(
          `SELECT ${instantHash({ timestamptzHash: true }, v, seed)}::text AS a, ${instantHash({ timestamptzHash: false }, v, seed)}::text AS b
           FROM unnest($1::timestamptz[] || ARRAY[NULL::timestamptz]) AS x(t)`,
          [instants],
        );
        expect(r.rows).toHaveLength(instants.length + 1);
        for (const row of r.rows) expect(row.b).toBe(row.a);
        expect(new Set(r.rows.map((x) => x.a)).size).toBe(instants.length + 1);
      }
    } finally {
      await c.end();
    }
  });

  it('normalises and maps codes exactly on the fast paths (ASCII, NFKC-clean, Node-side code maps)', async () => {
    const ddl = 'CREATE TABLE fast_charges (id text, code text, name text, op text, code2 text)';
    // [id, code, name, op, code2]: legacy row, new row
    const rows: [string, (string | null)[], (string | null)[]][] = [
      ['F1', [' d01 ', '王伟\u3000', 'ｏｐ１', 'A'], ['INT-MED', '王伟', 'OP1', 'X']], // trim+case before the map, NFKC, many-to-one
      ['F2', [null, '', 'op2', 'B'], [null, null, 'OP2', 'X']], // NULL code, '' vs NULL
      ['F3', ['', 'ﬁle', 'Op3 ', 'C'], [null, 'file', 'OP3', 'Y']], // '' code vs NULL, a ligature (non-ASCII, not NFKC)
      ['F4', ['D09', 'a', 'op4', 'A'], ['LAB', 'a', 'OP4', 'X']], // unmapped
      ['F5', ['D02', 'a', 'op5', 'A'], ['INT-MED', 'a', 'OP5', 'X']], // mapped code differs
      ['F6', ['D01', 'a', 'op6', 'A'], ['INT-MED', 'a', 'OP6', 'Y']], // many-to-one code differs
      ['F7', ['D01', 'a', 'op7', 'A'], ['INT-MED', 'a', 'OP8', 'X']], // ASCII value differs after case folding
    ];
    for (const [db, side] of [
      [legacy, 1],
      [next, 2],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS fast_charges');
      await sql(db.url, ddl);
      for (const r of rows) await sql(db.url, 'INSERT INTO fast_charges VALUES ($1, $2, $3, $4, $5)', [r[0], ...r[side]]);
    }
    const run = (codes: Record<string, string>) =>
      compareDomain({
        spec: {
          name: 'fast',
          key: [{ name: 'id' }],
          fields: [
            { name: 'code', codeMap: 'm', normalize: { case: 'upper' } }, // keeps the defaults' trim and emptyAsNull
            { name: 'name', normalize: { nfkc: true } },
            { name: 'op', normalize: { nfkc: true, case: 'upper' } },
            { name: 'code2', codeMap: 'many' },
          ],
          codeMaps: { m: { kind: 'inline', entries: codes }, many: { kind: 'inline', entries: { A: 'X', B: 'X', C: 'Y' } } },
          defaults: { normalize: { trim: true, emptyAsNull: true } },
        },
        legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM fast_charges' },
        new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM fast_charges' },
        window: WINDOW,
        resultsUrl: results.url,
      });
    // a '' code in the map (unreachable with emptyAsNull) sends the field back to the lookup in SQL
    const maps: Record<string, string>[] = [
      { D01: 'INT-MED', D02: 'LAB' },
      { '': 'NONE', D01: 'INT-MED', D02: 'LAB' },
    ];
    for (const codes of maps) {
      const r = await run(codes);
      expect([r.matched, r.mismatched, r.unmappedCodes, r.differingKeys]).toEqual([3, 4, 1, 4]);
      expect(r.fieldMismatches).toEqual({ code: 1, name: 0, op: 1, code2: 1 });
      expect(r.unmappedByField).toEqual({ code: 1 });
    }
  });

  it('learns code spellings from a sample or from the re-check and still finds the differences met after', async () => {
    // 6000 rows with four legacy spellings of two codes: learnt from the sides' first rows before
    // the stream, or (a 1-row sample) from the re-check of the first rows that have them, later
    // rows being matched by the dictionary; differences are planted after that.
    const legacyCode = `CASE WHEN i = 4001 THEN 'D77' ELSE (ARRAY[' d01 ', 'D01', 'd02', 'D02 '])[1 + i % 4] END`;
    const newCode = `CASE WHEN i = 3000 THEN 'LAB' WHEN i = 4500 THEN NULL WHEN i % 4 < 2 THEN 'INT-MED' ELSE 'lab' END`;
    for (const [db, code] of [
      [legacy, legacyCode],
      [next, newCode],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS learn_charges');
      await sql(
        db.url,
        `CREATE TABLE learn_charges AS SELECT 'K' || lpad(i::text, 5, '0') AS id, ${code} AS code FROM generate_series(1, 6000) AS g(i)`,
      );
    }
    const rechecked: number[] = [];
    for (const sampleRows of [50_000, 1]) {
      const { result: r, trace } = await withTrace(() =>
        compareDomain({
          spec: {
            name: 'learn',
            key: [{ name: 'id' }],
            fields: [{ name: 'code', codeMap: 'm', normalize: { case: 'upper' } }],
            codeMaps: { m: { kind: 'inline', entries: { D01: 'INT-MED', D02: 'LAB' } } },
            defaults: { normalize: { trim: true, emptyAsNull: true } },
          },
          legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM learn_charges' },
          new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM learn_charges' },
          window: WINDOW,
          resultsUrl: results.url,
          spellings: { sampleRows, maxDistinct: 2000 },
        }),
      );
      expect([r.matched, r.mismatched, r.unmappedCodes, r.differingKeys]).toEqual([5997, 3, 1, 3]);
      expect(r.fieldMismatches).toEqual({ code: 2 });
      const d = await sql(results.url, `SELECT key::text, kind FROM comparison_difference WHERE run_id = $1 ORDER BY key`, [r.runId]);
      expect(d.rows).toEqual([
        { key: '["K03000"]', kind: 'mismatch' },
        { key: '["K04001"]', kind: 'unmapped_code' },
        { key: '["K04500"]', kind: 'mismatch' },
      ]);
      rechecked.push(Number(/recheck \((\d+) keys re-checked\)/.exec(trace)?.[1]));
    }
    // every spelling in the sample: only the three differing keys are re-checked (the unmapped
    // legacy code is never learnt); a 1-row sample leaves the spellings to the re-check
    expect(rechecked[0]).toBe(3);
    expect(rechecked[1]).toBeGreaterThan(3);
  });

  it('learns spellings of few-valued text fields, stays exact for late new spellings and for fields over the threshold', async () => {
    // status: four spellings per side in the first 1000 rows (the probe's sample), learnt from
    // the re-check; new spellings appear only after row 5000 (one equal after NFKC/trim/case, one
    // different, a NULL vs ''). name: a distinct value per row, over the threshold: SQL path.
    const legacyStatus = `CASE WHEN i = 5001 THEN 'Ｎｅｗ　' WHEN i = 5002 THEN ' paid' WHEN i = 5003 THEN NULL
      ELSE (ARRAY['new', ' NEW', 'Billed ', 'BILLED'])[1 + i % 4] END`;
    const newStatus = `CASE WHEN i = 5002 THEN 'VOID' WHEN i = 5003 THEN '' WHEN i % 4 < 2 THEN 'NEW' ELSE 'BILLED' END`;
    const legacyName = `CASE WHEN i = 5200 THEN 'n9999' ELSE (CASE WHEN i % 2 = 0 THEN 'n' ELSE 'Ｎ' END) || i || ' ' END`;
    const newName = `'N' || i`;
    for (const [db, status, name] of [
      [legacy, legacyStatus, legacyName],
      [next, newStatus, newName],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS spell_charges');
      await sql(
        db.url,
        `CREATE TABLE spell_charges AS SELECT 'K' || lpad(i::text, 5, '0') AS id, ${status} AS status, ${name} AS name FROM generate_series(1, 6000) AS g(i)`,
      );
    }
    const run = (maxDistinct: number): Promise<{ result: CompareResult; trace: string }> =>
      withTrace(() =>
        compareDomain({
          spec: {
            name: 'spell',
            key: [{ name: 'id' }],
            fields: [
              { name: 'status', normalize: { nfkc: true, case: 'upper' } },
              { name: 'name', normalize: { nfkc: true, case: 'upper' } },
            ],
            defaults: { normalize: { trim: true, emptyAsNull: true } },
          },
          legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM spell_charges' },
          new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM spell_charges' },
          window: WINDOW,
          resultsUrl: results.url,
          spellings: { sampleRows: 1000, maxDistinct },
        }),
      );
    // 100: status (4 spellings in the sample) learnt in Node, name (1000) over it; 0: both in SQL
    for (const [maxDistinct, mapped] of [
      [100, 'status'],
      [0, ''],
    ] as const) {
      const { result: r, trace } = await run(maxDistinct);
      expect(trace).toMatch(new RegExp(`Node-mapped fields: ${mapped} \\+`));
      expect([r.matched, r.mismatched, r.differingKeys]).toEqual([5998, 2, 2]);
      expect(r.fieldMismatches).toEqual({ status: 1, name: 1 });
      const d = await sql(
        results.url,
        `SELECT key::text, field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1 ORDER BY key`,
        [r.runId],
      );
      expect(d.rows).toEqual([
        { key: '["K05002"]', field: 'status', legacy_value: 'PAID', new_value: 'VOID' },
        { key: '["K05200"]', field: 'name', legacy_value: 'N9999', new_value: 'N5200' },
      ]);
    }
  });

  it('never puts row values in error messages', async () => {
    await sql(legacy.url, 'DROP TABLE IF EXISTS bad_charges');
    await sql(legacy.url, LEGACY_DDL.replace('TABLE charges', 'TABLE bad_charges').replace('amount numeric(12,3)', 'amount text'));
    await sql(
      legacy.url,
      `INSERT INTO bad_charges VALUES ('V1','1','王伟','CBC','D01','秘密-not-a-number','2024-03-01 08:00:00',null,'u')`,
    );
    const err = await compareDomain({
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: LEGACY_Q.replace('charges', 'bad_charges') },
      new: { kind: 'postgres', url: next.url, query: NEW_Q },
      window: WINDOW,
      resultsUrl: results.url,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('秘密');
    expect((err as Error).message).toMatch(/PostgreSQL error 22P02/);
    const run = await sql(results.url, `SELECT count(*)::int AS n FROM comparison_run WHERE status = 'failed' AND error_code = '22P02'`);
    expect(run.rows[0]?.n).toBe(1);
  });
});

describe('HashMap (raw spelling hash -> canonical hash)', () => {
  it('finds what was set, keeps the zero key apart, refuses a second value and survives growth', () => {
    const m = new HashMap(2);
    expect(m.find(0, 0)).toBe(false);
    expect(m.set(0, 0, 7, 8)).toBe(true);
    expect(m.find(0, 0)).toBe(true);
    expect([m.hi, m.lo]).toEqual([7, 8]);
    // keys that collide in the low bits (same slot) and negative halves
    for (let i = 1; i <= 5000; i++) expect(m.set(i * 1024, -i, i, -i)).toBe(true);
    expect(m.size).toBe(5001);
    for (let i = 1; i <= 5000; i++) {
      expect(m.find(i * 1024, -i)).toBe(true);
      expect([m.hi, m.lo]).toEqual([i, -i]);
    }
    expect(m.find(1024, 1)).toBe(false);
    expect(m.set(1024, -1, 1, -1)).toBe(true); // same entry again
    expect(m.set(1024, -1, 2, -1)).toBe(false); // ambiguous
    expect(m.set(0, 0, 7, 9)).toBe(false);
    expect(m.find(0, 0) && m.hi === 7 && m.lo === 8).toBe(true);
  });
});
