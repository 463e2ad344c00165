/**
 * The comparison engine's rules of issue 19, keys: no row lost whatever the split into key ranges, and invalid keys, each on PostgreSQL and on file sources.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlAt as sql } from '../helpers/db';
import { legacy, next, useCompareDatabases, WINDOW } from '../helpers/compare-databases';
import { everySplit } from '../helpers/compare-rules';
import { compareDomain, type CompareInput, type DomainSpecInput } from '../../compare';

// Several comparisons per test (every split of a run): more than the unit default on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

useCompareDatabases('rules');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-rules-keys-'));

describe('rows whose first key column is NULL, whatever the split', () => {
  const spec: DomainSpecInput = { name: 'nk', key: [{ name: 'id' }], fields: [{ name: 'v' }] };
  beforeAll(async () => {
    // ~1,000 equal keys on both sides; a NULL key on the legacy side (it used to turn the split
    // off: its maximum came back NULL) and two on the new side (they used to vanish in a split)
    for (const [db, nulls] of [
      [legacy, 1],
      [next, 2],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS nk');
      await sql(db.url, `CREATE TABLE nk AS SELECT 'K' || lpad(i::text, 4, '0') AS id, 'v' || i AS v FROM generate_series(1, 1000) g(i)`);
      await sql(db.url, `INSERT INTO nk SELECT NULL, 'n' || i FROM generate_series(1, ${nulls}) g(i)`);
      await sql(db.url, 'CREATE INDEX ON nk (id COLLATE "C")');
    }
  });

  it('reports them identically at parallelism 1, 2 and 4 and over explicit key ranges', async () => {
    const base: CompareInput = {
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM nk' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM nk' },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    const { results, diffs } = await everySplit(base);
    // each NULL-key row is an invalid key of its own: never matched, never a duplicate
    const expected = {
      rowsLegacy: 1001,
      rowsNew: 1002,
      distinctKeys: 1003,
      matched: 1000,
      missingInLegacy: 0,
      missingInNew: 0,
      mismatched: 0,
      duplicateKeysLegacy: 0,
      duplicateKeysNew: 0,
      invalidKeysLegacy: 1,
      invalidKeysNew: 2,
      differingKeys: 3,
      differences: 2,
    };
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(diffs[0]);
    expect(diffs[0]).toEqual([
      JSON.stringify(['[null]', 'invalid_key', null, '1', null]),
      JSON.stringify(['[null]', 'invalid_key', null, null, '2']),
    ]);
  });

  it('from a CSV export too (an empty key is a NULL key in a file)', async () => {
    const file = path.join(tmp, 'nk.csv');
    const rows = Array.from({ length: 1000 }, (_, i) => `K${String(i + 1).padStart(4, '0')},v${i + 1}`);
    writeFileSync(file, ['id,v', ...rows, ',n1', ',n2'].join('\n') + '\n');
    const base: CompareInput = {
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM nk' },
      new: { kind: 'csv', path: file },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    const { results, diffs } = await everySplit(base);
    for (const r of results) expect(r).toEqual(results[0]);
    for (const d of diffs) expect(d).toEqual(diffs[0]);
    expect(results[0]).toMatchObject({
      rowsLegacy: 1001,
      rowsNew: 1002,
      matched: 1000,
      invalidKeysLegacy: 1,
      invalidKeysNew: 2,
      differingKeys: 3,
    });
  });

  it("fails the run loudly when the ranges do not add up to the side's rows", async () => {
    // A source that gives another read other rows (here: the NULL-key rows to a plain SELECT,
    // not to a COPY) is one whose ranges cannot add up to its count.
    const r = compareDomain({
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: `SELECT * FROM nk WHERE id IS NOT NULL OR current_query() NOT LIKE 'COPY%'` },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM nk' },
      window: WINDOW,
      resultsUrl: legacy.url,
      parallelism: 2,
    });
    await expect(r).rejects.toMatchObject({ code: 'RANGE_ROWS' });
    const run = await sql(
      legacy.url,
      `SELECT count(*)::int AS n FROM comparison_run WHERE status = 'failed' AND error_code = 'RANGE_ROWS'`,
    );
    expect(run.rows[0]?.n).toBe(1);
  });
});

describe('invalid keys: a NULL (files: empty) key column', () => {
  const spec: DomainSpecInput = { name: 'ik', key: [{ name: 'visit' }, { name: 'line' }], fields: [{ name: 'v' }] };
  // [visit, line, v]: legacy rows, new rows
  const legacyRows: (string | null)[][] = [
    ['V1', '1', 'a'], // matched
    ['V1', null, 'a'], // invalid on both sides with the same partial key: never matched
    ['V2', null, 'b'], // two legacy rows with one invalid key: not a duplicate
    ['V2', null, 'b'],
    ['V3', '1', 'c'], // a valid key here, an invalid one in the new system
    ['V4', '1', 'd'], // field mismatch (still counted as before)
  ];
  const newRows: (string | null)[][] = [
    ['V1', '1', 'a'],
    ['V1', null, 'a'],
    [null, '1', 'c'],
    ['V4', '1', 'x'],
  ];
  const expected = {
    rowsLegacy: 6,
    rowsNew: 4,
    matched: 1,
    missingInLegacy: 0,
    missingInNew: 1,
    mismatched: 1,
    duplicateKeysLegacy: 0,
    duplicateKeysNew: 0,
    invalidKeysLegacy: 3,
    invalidKeysNew: 2,
    // V1/1, V3/1, V4/1 and one per invalid row
    distinctKeys: 3 + 5,
    differingKeys: 2 + 5,
    differences: 6,
  };
  const expectedDiffs = [
    ['["V1", null]', 'invalid_key', null, '1', null],
    ['["V1", null]', 'invalid_key', null, null, '1'],
    ['["V2", null]', 'invalid_key', null, '2', null],
    ['["V3", "1"]', 'missing_in_new', null, null, null],
    ['["V4", "1"]', 'mismatch', 'v', 'd', 'x'],
    ['[null, "1"]', 'invalid_key', null, null, '1'],
  ]
    .map((x) => JSON.stringify(x))
    .sort();

  beforeAll(async () => {
    for (const [db, rows] of [
      [legacy, legacyRows],
      [next, newRows],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS ik');
      await sql(db.url, 'CREATE TABLE ik (visit text, line text, v text)');
      for (const r of rows) await sql(db.url, 'INSERT INTO ik VALUES ($1, $2, $3)', r);
    }
  });

  it('reports each on its side, never matched, never a duplicate, never dropped (PostgreSQL), and the thresholds count them', async () => {
    const base: CompareInput = {
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM ik' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM ik' },
      window: WINDOW,
      resultsUrl: legacy.url,
      thresholds: { warning: { count: 2 }, critical: { count: 6 } },
    };
    const { results, diffs } = await everySplit(base);
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(expectedDiffs);
    const r = await compareDomain(base);
    // 7 differing keys, 5 of them invalid: critical (above 6), where the other categories alone would be a warning
    expect(r.status).toBe('critical');
    expect(r.mismatchRate).toBeCloseTo(7 / 8, 10);
    const run = await sql(legacy.url, 'SELECT outcomes, differing_keys::int AS d FROM comparison_run WHERE id = $1', [r.runId]);
    expect(run.rows[0]).toEqual({ outcomes: { invalidKeysLegacy: 3, invalidKeysNew: 2, ambiguousTimes: 0, recheckedInFlight: 0 }, d: 7 });
  });

  it('files: an empty key cell is an invalid key (CSV and NDJSON)', async () => {
    const csv = path.join(tmp, 'ik.csv');
    writeFileSync(csv, ['visit,line,v', ...legacyRows.map((r) => r.map((x) => x ?? '').join(','))].join('\n') + '\n');
    const ndjson = path.join(tmp, 'ik.ndjson');
    // NDJSON: null and "" alike
    writeFileSync(
      ndjson,
      newRows.map((r, i) => JSON.stringify({ visit: r[0] ?? (i % 2 ? null : ''), line: r[1] ?? '', v: r[2] })).join('\n') + '\n',
    );
    const base: CompareInput = {
      spec,
      legacy: { kind: 'csv', path: csv },
      new: { kind: 'ndjson', path: ndjson },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    const { results, diffs } = await everySplit(base);
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(expectedDiffs);
  });
});
