/**
 * The comparison engine: `compareDomain` runs one comparison from start to end, over the modules
 * of each step (side.ts, codeMaps.ts, spellings.ts, keyRanges.ts, merge.ts, recheck.ts, settle.ts, tally.ts).
 *
 * Per side: one REPEATABLE READ READ ONLY snapshot (exported and shared by every connection of
 * that side). Each key range is streamed from both sides as (canonical key, 64-bit hash of the
 * canonical fields) in byte (C) order with binary COPY, and merged by key: missing keys and
 * duplicate keys are decided from the stream; key pairs whose hashes differ are re-fetched
 * (canonical field values, same snapshot) and compared exactly in TypeScript (tolerances,
 * code maps). Differences go to comparison_difference by COPY in batches; the function returns
 * counts and a run id. Nothing here logs or throws row values.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashMaps, int64Parts, loadCodeMaps, mapLiterals } from './codeMaps';
import { BinaryKeyHashCopy } from './copyReader';
import { DifferenceWriter, keyJson } from './differences';
import { splitRange, streamsOf, type KeyRange } from './keyRanges';
import { mergeRange } from './merge';
import { Rechecker } from './recheck';
import { ComparisonError, one, outcomesOf, sanitize, type CompareOptions, type CompareResult, type Counters } from './result';
import { Backends, buildSideSql, connect, fixedOffsets, hashCheckSql, joinSnapshot, openSide, sideColumns, type SideState } from './side';
import { inFlightKeys, settle, type InFlight } from './settle';
import { createSource, type OpenedSource } from './sources';
import { CompareInput } from './spec';
import { fewSpellings, SpellingDictionary } from './spellings';
import { comparedFields } from './sql/columns';
import type { CodeMapSql } from './sql/fields';
import { nodeMappedIndexes, nodeMappedNullHashes } from './sql/hash';
import { rangeRowsSql, streamSql } from './sql/queries';
import type { FixedOffsets } from './sql/window';
import { statusFor, tally } from './tally';

/** How often the settle delay reports that it is still waiting. */
const SETTLE_REPORT_MS = 10_000;

/**
 * Compare one domain for one window (and optional key range). Writes a comparison_run row and
 * every difference to the results database; returns counts and the run id only.
 */
export async function compareDomain(rawInput: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
  const started = Date.now();
  const input = CompareInput.parse(rawInput);
  const spec = input.spec;
  const runId = input.runId ?? randomUUID();
  const range: KeyRange = { lo: input.keyRange?.lo ?? null, hi: input.keyRange?.hi ?? null };
  const { signal, onProgress } = options;
  const backends = new Backends();
  const cancel = (): void => void backends.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  const results = await connect(input.resultsUrl, false, backends).catch((e: unknown) => {
    signal?.removeEventListener('abort', cancel);
    throw sanitize(e, 'results');
  });
  const opened: OpenedSource[] = [];
  const sides: SideState[] = [];
  let where = 'setup';
  const trace = process.env.COMPARE_TRACE
    ? (w: string): void => void process.stderr.write(`[compare] ${w} +${Date.now() - started} ms\n`)
    : (): void => undefined;
  /** The next step: traced, reported, and refused once the comparison was cancelled. */
  const step = (w: string): void => {
    if (signal?.aborted) throw new ComparisonError('CANCELLED', 'compare: cancelled');
    where = w;
    trace(w);
    onProgress?.({ phase: w });
  };
  try {
    await results.query(
      `INSERT INTO comparison_run (id, domain, business_day, window_start, window_end, key_range_lo, key_range_hi, status, settle_ms, thresholds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9)`,
      [
        runId,
        spec.name,
        input.businessDay ?? null,
        input.window.from,
        input.window.to,
        range.lo,
        range.hi,
        input.settleMs,
        JSON.stringify(input.thresholds),
      ],
    );
    step('code maps');
    const maps = await loadCodeMaps(spec);
    const mapJson: CodeMapSql = new Map();
    for (const [k, m] of maps) mapJson.set(k, mapLiterals(m, spec.codeMaps[k]!.unmapped));

    const opens: (Awaited<ReturnType<typeof openSide>> & { offsets: FixedOffsets })[] = [];
    for (const side of ['legacy', 'new'] as const) {
      step(`${side} source`);
      const src = createSource(side === 'legacy' ? input.legacy : input.new);
      const o = await src.open({
        resultsUrl: input.resultsUrl,
        runId,
        side,
        columns: sideColumns(spec, side),
        keyColumns: spec.key.length,
      });
      opened.push(o);
      const st = await openSide(spec, side, o, input.window, backends);
      // pushed at once so that `finally` closes its connection
      sides.push({ ...st, sql: { keys: [], plans: [], from: '' } });
      opens.push({ ...st, offsets: await fixedOffsets(st.main, spec, input.window) });
    }
    const [legacy, next] = [sides[0]!, sides[1]!];
    step('code maps');
    const nodeMaps = await hashMaps(legacy.main, spec, maps);
    const nodeMapped = new Set(nodeMaps.keys());
    step('spelling probe');
    for (const f of await fewSpellings(spec, legacy, next, input.spellings)) nodeMapped.add(f);
    trace(`Node-mapped fields: ${[...nodeMapped].join(', ')}`);
    for (const [i, st] of opens.entries()) {
      sides[i]!.sql = buildSideSql(spec, st.side, st.types, st.query, mapJson, st.offsets, st.traits, nodeMapped);
    }
    const mappedFields = nodeMappedIndexes(legacy.sql.plans).map((i) => legacy.sql.plans[i]!.field);
    const dictionary = new SpellingDictionary(
      mappedFields.map((f) => nodeMaps.get(f.name) ?? null),
      mappedFields.map((f) => f.codeMap !== undefined && spec.codeMaps[f.codeMap]?.unmapped === 'pass-through'),
    );
    step('spelling sample');
    await Promise.all([legacy, next].map((s) => dictionary.learnSample(s, input.spellings.sampleRows)));
    trace(`learnt ${dictionary.legacy.map((m) => m.size).join('/')} legacy, ${dictionary.next.map((m) => m.size).join('/')} new spellings`);

    step('hash check');
    const [hl, hn] = await Promise.all([
      legacy.main.query<{ h: string }>(hashCheckSql(opens[0]!.traits)),
      next.main.query<{ h: string }>(hashCheckSql(opens[1]!.traits)),
    ]);
    if (one(hl.rows).h !== one(hn.rows).h || !one(hl.rows).h.endsWith(',t'))
      throw new ComparisonError('HASH_MISMATCH', 'compare: the two servers hash differently; refusing to compare');

    step('key ranges');
    // Key ranges, not key-hash partitions: a hash partition re-reads every row of the side to
    // compute its filter, which cost more CPU than the parallelism gained on 2 cores.
    const streams = streamsOf(range, await splitRange(legacy, range, input.parallelism));
    const nullRaw = Int32Array.from(
      nodeMappedNullHashes(legacy.sql.plans).flatMap((h) => {
        const p = int64Parts(h);
        return [p.hi, p.lo];
      }),
    );
    const writer = new DifferenceWriter(results, runId);
    const recheck = new Rechecker(spec, legacy, next, maps, writer, dictionary);
    const counters: Counters = { rowsLegacy: 0, rowsNew: 0, distinctKeys: 0 };
    // More than one stream: each side's rows in the requested range are counted apart (same
    // snapshot, own connection, while the streams run), and the streams must add up to them. A
    // row in no stream (a NULL key outside every range did) would otherwise be counted nowhere.
    const expectedRows =
      streams.length > 1
        ? Promise.all(
            [legacy, next].map(async (s) => {
              const c = await joinSnapshot(s, false);
              return Number(one((await c.query<{ n: string }>(rangeRowsSql(s.sql, range))).rows).n);
            }),
          )
        : null;
    expectedRows?.catch(() => undefined); // awaited after the merge

    step('merge');
    await Promise.all(
      streams.map(async (r) => {
        const [lc, nc] = await Promise.all([joinSnapshot(legacy), joinSnapshot(next)]);
        const lr = BinaryKeyHashCopy.start(lc, streamSql(legacy.sql, r), spec.key.length, dictionary.legacy, nullRaw);
        const nr = BinaryKeyHashCopy.start(nc, streamSql(next.sql, r), spec.key.length, dictionary.next, nullRaw);
        const range = { lo: r.lo, hi: r.hi };
        await mergeRange(lr, nr, counters, writer, recheck, dictionary, (rowsLegacy, rowsNew) =>
          onProgress?.({ phase: 'merge', range, rowsLegacy, rowsNew }),
        );
      }),
    );
    if (expectedRows) {
      step('range rows');
      const [l, n] = await expectedRows;
      if (l !== counters.rowsLegacy || n !== counters.rowsNew) {
        // counts only: which side, how many rows the ranges read and how many the side has
        throw new ComparisonError(
          'RANGE_ROWS',
          `compare: the key ranges read ${counters.rowsLegacy} legacy and ${counters.rowsNew} new rows, the sides have ${l} and ${n}; refusing a result that lost or doubled rows`,
        );
      }
    }
    step('recheck');
    trace(`${where} (${recheck.count} keys re-checked)`);
    await recheck.drain();
    await writer.flush();

    let inFlight: InFlight | null = null;
    if (spec.inFlight) {
      step('in flight');
      const at = Date.parse(input.comparedAt ?? new Date(started).toISOString());
      if (Number.isNaN(at)) throw new ComparisonError('INVALID_INPUT', 'compare: comparedAt is not an instant');
      inFlight = { keys: new Map(), cutoff: new Date(at - spec.inFlight.withinMinutes * 60_000).toISOString(), range };
      // on the first snapshot (the streams' own), each side's main connection is free again
      for (const k of (await Promise.all([legacy, next].map((s) => inFlightKeys(s.main, s, spec, inFlight!)))).flat())
        inFlight.keys.set(keyJson(k), k);
    }
    let recheckedInFlight = 0;
    if (input.settleMs > 0 || inFlight) {
      step('settle');
      // reported while it waits: a settle delay may be longer than the activity's heartbeat timeout
      for (let waited = 0; waited < input.settleMs; waited += SETTLE_REPORT_MS) {
        await sleep(Math.min(SETTLE_REPORT_MS, input.settleMs - waited), undefined, signal ? { signal } : undefined);
        onProgress?.({ phase: 'settle' });
      }
      recheckedInFlight = await settle(results, runId, spec, legacy, next, maps, counters, inFlight);
    }

    step('tally');
    const t = {
      ...(await tally(
        results,
        runId,
        counters,
        comparedFields(spec).map((f) => f.name),
      )),
      recheckedInFlight,
    };
    const status = statusFor(input.thresholds, t.mismatchRate, t.differingKeys);
    await results.query(
      `UPDATE comparison_run SET status = $2, rows_legacy = $3, rows_new = $4, distinct_keys = $5, matched = $6,
         missing_in_legacy = $7, missing_in_new = $8, mismatched = $9, duplicate_keys_legacy = $10, duplicate_keys_new = $11,
         unmapped_codes = $12, differing_keys = $13, mismatch_rate = $14, field_mismatches = $15, unmapped_by_field = $16,
         differences = $17, outcomes = $18, finished_at = now() WHERE id = $1`,
      [
        runId,
        status,
        t.rowsLegacy,
        t.rowsNew,
        t.distinctKeys,
        t.matched,
        t.missingInLegacy,
        t.missingInNew,
        t.mismatched,
        t.duplicateKeysLegacy,
        t.duplicateKeysNew,
        t.unmappedCodes,
        t.differingKeys,
        t.mismatchRate,
        JSON.stringify(t.fieldMismatches),
        JSON.stringify(t.unmappedByField),
        t.differences,
        JSON.stringify(outcomesOf(t)),
      ],
    );
    trace('done');
    return { runId, domain: spec.name, status, ...t, elapsedMs: Date.now() - started };
  } catch (e) {
    // a cancelled query (57014) or wait answers as the cancellation it is
    const err = signal?.aborted ? new ComparisonError('CANCELLED', `compare: cancelled (${where})`) : sanitize(e, where);
    await results
      .query(`UPDATE comparison_run SET status = 'failed', error_code = $2, finished_at = now() WHERE id = $1`, [runId, err.code])
      .catch(() => undefined);
    throw err;
  } finally {
    for (const s of sides) {
      for (const c of [s.main, ...s.others]) await c.end().catch(() => undefined);
    }
    for (const o of opened) await o.cleanup().catch(() => undefined);
    await results.end().catch(() => undefined);
    signal?.removeEventListener('abort', cancel);
  }
}
