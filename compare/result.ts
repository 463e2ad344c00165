/** What a comparison answers: its counts, its status, and errors safe to log (codes, never row values). */

export type ComparisonStatus = 'clean' | 'warning' | 'critical' | 'failed';

export interface CompareResult {
  runId: string;
  domain: string;
  status: ComparisonStatus;
  rowsLegacy: number;
  rowsNew: number;
  /** Distinct keys seen on either side. */
  distinctKeys: number;
  matched: number;
  missingInLegacy: number;
  missingInNew: number;
  /** Keys on both sides (one row each) with at least one differing or unmapped field. */
  mismatched: number;
  fieldMismatches: Record<string, number>;
  unmappedCodes: number;
  unmappedByField: Record<string, number>;
  duplicateKeysLegacy: number;
  duplicateKeysNew: number;
  /**
   * Rows with a NULL key column (files: an empty one) per side: `invalid_key`, never matched,
   * never a duplicate; each counts as a distinct and a differing key of its own.
   */
  invalidKeysLegacy: number;
  invalidKeysNew: number;
  /**
   * `ambiguous_time` differences: a field with `ambiguousTime` whose local time does not exist in
   * its zone on either side (the key counts as mismatched).
   */
  ambiguousTimes: number;
  /** Keys rechecked on fresh snapshots because their rows were in flight (`spec.inFlight`), whatever they first gave. */
  recheckedInFlight: number;
  /** Keys with any difference. */
  differingKeys: number;
  /** differingKeys / distinctKeys. */
  mismatchRate: number;
  /** Rows written to comparison_difference. */
  differences: number;
  elapsedMs: number;
}

/** Error safe to log: a code and the side, never row values. */
export class ComparisonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ComparisonError';
  }
}

/** The single row of a query that always returns one. */
export function one<T>(rows: T[]): T {
  const r = rows[0];
  if (r === undefined) throw new Error('compare: expected a row');
  return r;
}

export function sanitize(e: unknown, where: string): ComparisonError {
  if (e instanceof ComparisonError) return e;
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    return new ComparisonError(err.code, `compare: PostgreSQL error ${err.code} (${where})`);
  }
  const msg = typeof err?.message === 'string' && err.message.startsWith('compare:') ? err.message : 'compare: failed';
  return new ComparisonError('COMPARE', `${msg} (${where})`);
}

export interface Counters {
  rowsLegacy: number;
  rowsNew: number;
  distinctKeys: number;
}

/** The outcomes beside the original categories, as stored in comparison_run.outcomes (counts only). */
export function outcomesOf(
  t: Pick<CompareResult, 'invalidKeysLegacy' | 'invalidKeysNew' | 'ambiguousTimes' | 'recheckedInFlight'>,
): RunOutcomes {
  return {
    invalidKeysLegacy: t.invalidKeysLegacy,
    invalidKeysNew: t.invalidKeysNew,
    ambiguousTimes: t.ambiguousTimes,
    recheckedInFlight: t.recheckedInFlight,
  };
}

export interface RunOutcomes {
  invalidKeysLegacy: number;
  invalidKeysNew: number;
  ambiguousTimes: number;
  recheckedInFlight: number;
}

/** Where a comparison is: its step, and in the merge its key range and the rows read there so far (counts and range bounds only). */
export interface CompareProgress {
  phase: string;
  range?: { lo: string | null; hi: string | null };
  rowsLegacy?: number;
  rowsNew?: number;
}

export interface CompareOptions {
  /** Aborting stops the comparison: its queries are cancelled on the servers, and it fails with CANCELLED. */
  signal?: AbortSignal;
  /** Called at each step, after every batch of rows the merge reads and while the settle delay runs. */
  onProgress?: (p: CompareProgress) => void;
}
