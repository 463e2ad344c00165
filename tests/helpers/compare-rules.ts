/** What the comparison rules' tests check every run by: its counts, its differences, and the same run over every split. */
import { expect } from 'vitest';
import { compareDomain, keyRanges, type CompareInput, type CompareResult } from '../../compare';
import { legacy } from './compare-databases';
import { sqlAt as sql } from './db';

const COUNTS = [
  'rowsLegacy',
  'rowsNew',
  'distinctKeys',
  'matched',
  'missingInLegacy',
  'missingInNew',
  'mismatched',
  'duplicateKeysLegacy',
  'duplicateKeysNew',
  'invalidKeysLegacy',
  'invalidKeysNew',
  'differingKeys',
  'differences',
] as const;

function counts(r: CompareResult): Record<string, number> {
  return Object.fromEntries(COUNTS.map((k) => [k, r[k]]));
}

/** A run's differences as sorted text lines (key, kind, field, values). */
export async function differences(runId: string): Promise<string[]> {
  const d = await sql(legacy.url, `SELECT key::text, kind, field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1`, [
    runId,
  ]);
  return d.rows.map((r) => JSON.stringify([r.key, r.kind, r.field, r.legacy_value, r.new_value])).sort();
}

/** The same comparison at parallelism 1, 2 and 4 and over the legacy side's explicit key ranges: one result. */
export async function everySplit(base: CompareInput): Promise<{ results: Record<string, number>[]; diffs: string[][] }> {
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
