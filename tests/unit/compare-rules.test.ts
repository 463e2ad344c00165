/**
 * The comparison engine's rules of issue 19: no row lost whatever the split into key ranges, and
 * the rules an integrator is given (invalid keys, ...), each on PostgreSQL and on file sources.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { compareDomain, keyRanges, type CompareInput, type CompareResult, type DomainSpecInput } from '../../activities/compare';

let legacy: TestDatabase;
let next: TestDatabase;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-rules-'));
const WINDOW = { from: '2024-03-01T00:00:00+08:00', to: '2024-03-02T00:00:00+08:00' };

async function sql(url: string, text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  legacy = await freshDatabase('rules_legacy');
  next = await freshDatabase('rules_new');
}, 60_000);

afterAll(async () => {
  for (const d of [legacy, next]) await d?.close();
});

const COUNTS = ['rowsLegacy', 'rowsNew', 'distinctKeys', 'matched', 'missingInLegacy', 'missingInNew', 'mismatched', 'duplicateKeysLegacy', 'duplicateKeysNew', 'differingKeys', 'differences'] as const;

function counts(r: CompareResult): Record<string, number> {
  return Object.fromEntries(COUNTS.map((k) => [k, r[k]]));
}

/** A run's differences as sorted text lines (key, kind, field, values). */
async function differences(runId: string): Promise<string[]> {
  const d = await sql(legacy.url, `SELECT key::text, kind, field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1`, [runId]);
  return d.rows.map((r) => JSON.stringify([r.key, r.kind, r.field, r.legacy_value, r.new_value])).sort();
}

/** The same comparison at parallelism 1, 2 and 4 and over the legacy side's explicit key ranges: one result. */
async function everySplit(base: CompareInput): Promise<{ results: Record<string, number>[]; diffs: string[][] }> {
  const results: Record<string, number>[] = [];
  const diffs: string[][] = [];
  for (const parallelism of [1, 2, 4]) {
    const r = await compareDomain({ ...base, parallelism });
    results.push(counts(r));
    diffs.push(await differences(r.runId));
  }
  for (const n of [2, 3]) {
    const ranges = await keyRanges({ spec: base.spec, source: base.legacy as never, window: base.window, resultsUrl: base.resultsUrl }, n);
    expect(ranges.length).toBeGreaterThan(1);
    const parts: CompareResult[] = [];
    for (const keyRange of ranges) parts.push(await compareDomain({ ...base, keyRange, parallelism: 2 }));
    results.push(Object.fromEntries(COUNTS.map((k) => [k, parts.reduce((a, p) => a + p[k], 0)])));
    diffs.push((await Promise.all(parts.map((p) => differences(p.runId)))).flat().sort());
  }
  return { results, diffs };
}

describe('rows whose first key column is NULL, whatever the split', () => {
  const spec: DomainSpecInput = { name: 'nk', key: [{ name: 'id' }], fields: [{ name: 'v' }] };
  beforeAll(async () => {
    // ~1,000 equal keys on both sides; a NULL key on the legacy side (it used to turn the split
    // off: its maximum came back NULL) and two on the new side (they used to vanish in a split)
    for (const [db, nulls] of [[legacy, 1], [next, 2]] as const) {
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
    const expected = {
      rowsLegacy: 1001, rowsNew: 1002, distinctKeys: 1001, matched: 1000, missingInLegacy: 0, missingInNew: 0, mismatched: 0,
      duplicateKeysLegacy: 0, duplicateKeysNew: 1, differingKeys: 1, differences: 1,
    };
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(diffs[0]);
    expect(diffs[0]).toEqual([JSON.stringify(['[null]', 'duplicate_in_new', null, null, '2'])]);
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
    expect(results[0]).toMatchObject({ rowsLegacy: 1001, rowsNew: 1002, matched: 1000, differingKeys: 1 });
  });

  it('fails the run loudly when the ranges do not add up to the side\'s rows', async () => {
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
    const run = await sql(legacy.url, `SELECT count(*)::int AS n FROM comparison_run WHERE status = 'failed' AND error_code = 'RANGE_ROWS'`);
    expect(run.rows[0]?.n).toBe(1);
  });
});
