/** The comparison engine on its tricky corpus: exact counts between PostgreSQL, CSV and NDJSON sides, whatever the split. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { legacy, next, results, useCompareDatabases, WINDOW } from '../helpers/compare-databases';
import { sqlAt as sql } from '../helpers/db';
import { streamDifferencesCsv } from '../../app/differences-csv';
import { compareDomain, keyRanges, type CompareResult, type DomainSpecInput } from '../../compare';

useCompareDatabases('cmp');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-test-'));

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
