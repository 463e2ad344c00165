/** The run's counts and status, from the differences it wrote. */
import type { Client } from 'pg';
import { one, type CompareResult, type ComparisonStatus, type Counters } from './result';
import type { Thresholds } from './spec';

export function statusFor(t: Thresholds, rate: number, count: number): ComparisonStatus {
  const hit = (x?: { rate?: number; count?: number }): boolean =>
    !!x && ((x.rate !== undefined && rate > x.rate) || (x.count !== undefined && count > x.count));
  if (hit(t.critical)) return 'critical';
  if (hit(t.warning)) return 'warning';
  return 'clean';
}

export async function tally(
  results: Client,
  runId: string,
  counters: Counters,
  fields: string[],
): Promise<Omit<CompareResult, 'runId' | 'domain' | 'status' | 'elapsedMs' | 'recheckedInFlight'>> {
  const r = await results.query<{ kind: string; field: string | null; n: string; k: string }>(
    `SELECT kind, field, count(*) AS n, count(DISTINCT key) AS k FROM comparison_difference WHERE run_id = $1 GROUP BY kind, field`,
    [runId],
  );
  // invalid_key: one row per key and side holding that side's row count, each row a key of its own
  const d = await results.query<{ k: string; m: string; t: string; il: string; in: string }>(
    `SELECT count(DISTINCT key) FILTER (WHERE kind <> 'invalid_key') AS k, count(DISTINCT key) FILTER (WHERE kind IN ('mismatch', 'unmapped_code', 'ambiguous_time')) AS m,
            count(*) AS t, coalesce(sum(legacy_value::int8) FILTER (WHERE kind = 'invalid_key'), 0) AS il,
            coalesce(sum(new_value::int8) FILTER (WHERE kind = 'invalid_key'), 0) AS in
       FROM comparison_difference WHERE run_id = $1`,
    [runId],
  );
  const byKind: Record<string, number> = {};
  const fieldMismatches: Record<string, number> = Object.fromEntries(fields.map((f) => [f, 0]));
  const unmappedByField: Record<string, number> = {};
  let unmapped = 0;
  for (const row of r.rows) {
    byKind[row.kind] = (byKind[row.kind] ?? 0) + Number(row.n);
    if (row.kind === 'mismatch' && row.field !== null) fieldMismatches[row.field] = (fieldMismatches[row.field] ?? 0) + Number(row.n);
    if (row.kind === 'unmapped_code' && row.field !== null) {
      unmappedByField[row.field] = Number(row.n);
      unmapped += Number(row.n);
    }
  }
  const totals = one(d.rows);
  const invalidKeysLegacy = Number(totals.il);
  const invalidKeysNew = Number(totals.in);
  const differing = Number(totals.k) + invalidKeysLegacy + invalidKeysNew;
  const distinct = counters.distinctKeys;
  return {
    rowsLegacy: counters.rowsLegacy,
    rowsNew: counters.rowsNew,
    distinctKeys: distinct,
    matched: distinct - differing,
    missingInLegacy: byKind.missing_in_legacy ?? 0,
    missingInNew: byKind.missing_in_new ?? 0,
    mismatched: Number(totals.m),
    fieldMismatches,
    unmappedCodes: unmapped,
    unmappedByField,
    duplicateKeysLegacy: byKind.duplicate_in_legacy ?? 0,
    duplicateKeysNew: byKind.duplicate_in_new ?? 0,
    invalidKeysLegacy,
    invalidKeysNew,
    ambiguousTimes: byKind.ambiguous_time ?? 0,
    differingKeys: differing,
    mismatchRate: distinct === 0 ? 0 : differing / distinct,
    differences: Number(totals.t),
  };
}
