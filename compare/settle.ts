/** Settle: differing keys, and keys in flight, re-checked on fresh snapshots after a delay. */
import type { Client } from 'pg';
import { DifferenceWriter, keyJson } from './differences';
import type { KeyRange } from './keyRanges';
import { classifyPair, fetchRows } from './recheck';
import type { Counters } from './result';
import { connect, type SideState } from './side';
import type { DomainSpec } from './spec';
import { comparedFields } from './sql/columns';
import { inFlightKeysSql } from './sql/queries';

/** Rows in flight (`DomainSpec.inFlight`): the keys found so far and how to find them again. */
export interface InFlight {
  /** keyJson -> key, every component present */
  keys: Map<string, string[]>;
  cutoff: string;
  range: KeyRange;
}

export async function inFlightKeys(c: Client, s: SideState, spec: DomainSpec, f: InFlight): Promise<string[][]> {
  const r = await c.query<string[]>({ text: inFlightKeysSql(s.sql, spec, s.side, s.types, f.range, f.cutoff), rowMode: 'array' });
  return r.rows;
}

/** Re-classify keys from their rows on fresh snapshots (their earlier differences already deleted). */
function reclassify(
  writer: DifferenceWriter,
  keys: (string | null)[][],
  lrows: Map<string, (string | null)[][]>,
  nrows: Map<string, (string | null)[][]>,
  fields: ReturnType<typeof comparedFields>,
  maps: Map<string, Map<string, string>>,
  codeMaps: DomainSpec['codeMaps'],
  counters: Counters,
): void {
  for (const key of keys) {
    const kj = keyJson(key);
    const id = key.join('\u0000');
    const l = lrows.get(id) ?? [];
    const n = nrows.get(id) ?? [];
    if (l.length === 0 && n.length === 0) {
      counters.distinctKeys--; // gone from both sides
      continue;
    }
    if (l.length === 0) writer.add(kj, 'missing_in_legacy', null, null, null);
    if (n.length === 0) writer.add(kj, 'missing_in_new', null, null, null);
    if (l.length > 1) writer.add(kj, 'duplicate_in_legacy', null, String(l.length), null);
    if (n.length > 1) writer.add(kj, 'duplicate_in_new', null, null, String(n.length));
    if (l.length === 1 && n.length === 1) {
      classifyPair(fields, maps, codeMaps, l[0]!, n[0]!, (kind, field, lv, nv) => writer.add(kj, kind, field, lv, nv));
    }
  }
}

/**
 * After the settle delay: every differing key, and every key in flight whether it first matched
 * or not, re-read on fresh snapshots and re-classified. Returns the keys rechecked in flight.
 */
export async function settle(
  results: Client,
  runId: string,
  spec: DomainSpec,
  legacy: SideState,
  next: SideState,
  maps: Map<string, Map<string, string>>,
  counters: Counters,
  inFlight: InFlight | null,
): Promise<number> {
  let clean: string[][] = [];
  if (inFlight) {
    // Rows changed during the delay are in flight too: found on fresh snapshots, while the first
    // snapshot (main) still tells whether the first pass counted their key.
    const fresh = await Promise.all(
      [legacy, next].map(async (s) => {
        const c = await connect(s.url, false, s.backends);
        try {
          await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          return await inFlightKeys(c, s, spec, inFlight);
        } finally {
          await c.end().catch(() => undefined);
        }
      }),
    );
    const unseen = new Map<string, string[]>();
    for (const k of fresh.flat()) if (!inFlight.keys.has(keyJson(k))) unseen.set(keyJson(k), k);
    if (unseen.size > 0) {
      const ks = [...unseen.values()];
      const [l0, n0] = await Promise.all([fetchRows(legacy, ks), fetchRows(next, ks)]);
      for (const [kj, k] of unseen) {
        const id = k.join('\u0000');
        if (!l0.has(id) && !n0.has(id)) counters.distinctKeys++; // a key the first pass did not see
        inFlight.keys.set(kj, k);
      }
    }
    // keys in flight without a difference so far: rechecked besides the differing keys
    const r = await results.query<{ k: string }>(
      `SELECT k FROM unnest($2::text[]) AS u(k) WHERE NOT EXISTS (SELECT 1 FROM comparison_difference d WHERE d.run_id = $1 AND d.key = u.k::jsonb)`,
      [runId, [...inFlight.keys.keys()]],
    );
    clean = r.rows.map((x) => inFlight.keys.get(x.k)!);
  }
  // fresh snapshots
  for (const s of [legacy, next]) {
    await s.main.query('COMMIT');
    await s.main.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }
  const fields = comparedFields(spec);
  let after: string | null = null;
  for (;;) {
    const r: { rows: { key: string }[] } = await results.query<{ key: string }>(
      `SELECT key::text AS key FROM comparison_difference WHERE run_id = $1 ${after === null ? '' : 'AND key > $2::jsonb'}
       GROUP BY key ORDER BY key LIMIT 2000`,
      after === null ? [runId] : [runId, after],
    );
    if (r.rows.length === 0) break;
    after = r.rows[r.rows.length - 1]!.key;
    const keys = r.rows.map((x) => JSON.parse(x.key) as (string | null)[]);
    // keys with a NULL component are invalid keys: they stay as they are
    const redo = keys.filter((k) => k.every((p) => p !== null));
    if (redo.length === 0) continue;
    const [lrows, nrows] = await Promise.all([fetchRows(legacy, redo), fetchRows(next, redo)]);
    await results.query('DELETE FROM comparison_difference WHERE run_id = $1 AND key = ANY($2::jsonb[])', [
      runId,
      redo.map((k) => keyJson(k)),
    ]);
    const writer = new DifferenceWriter(results, runId);
    reclassify(writer, redo, lrows, nrows, fields, maps, spec.codeMaps, counters);
    await writer.flush();
  }
  for (let i = 0; i < clean.length; i += 2000) {
    const batch = clean.slice(i, i + 2000);
    const [lrows, nrows] = await Promise.all([fetchRows(legacy, batch), fetchRows(next, batch)]);
    const writer = new DifferenceWriter(results, runId);
    reclassify(writer, batch, lrows, nrows, fields, maps, spec.codeMaps, counters);
    await writer.flush();
  }
  return inFlight?.keys.size ?? 0;
}
