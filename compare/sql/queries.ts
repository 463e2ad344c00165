/** The statements a side runs: the ordered key+hash COPY, range counts, rows in flight, spelling samples and the re-fetch. */
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { DomainSpec, FieldSpec } from '../spec';
import { col, colRef, OID, textInput, type ColumnTypes, type Side } from './columns';
import type { FieldPlan } from './fields';
import { fieldHash, fieldSeed, nodeMappedIndexes, nullHash, rowHashExpr } from './hash';
import { OFFSET_IN_TEXT } from './time';

/**
 * Distinct raw values of each column among the side's first `sampleRows` rows, one row of int8.
 * Counts distinct 64-bit hashes (an int8 sort, cheaper than sorting text in the column's
 * collation); a collision only undercounts by one, and the count only chooses a path, never
 * decides a comparison.
 */
export function spellingProbeSql(query: string, fields: FieldSpec[], side: Side, sampleRows: number): string {
  const counts = fields.map((f) => `count(DISTINCT hashtextextended(${colRef(col(side, f))}::text, 0))`);
  return `SELECT ${counts.join(', ')} FROM (SELECT * FROM (${query}) q0 LIMIT ${Math.floor(sampleRows)}) q`;
}

export interface SideSql {
  keys: string[];
  plans: FieldPlan[];
  from: string; // "(query) q"
}

/**
 * The rows one stream reads: [lo, hi) on the first key column in byte order (null: unbounded),
 * or (`nullFirstKey`) only the rows whose first key column is NULL. A bound excludes NULL, so a
 * range with a bound never holds those rows: whoever splits a key space adds a `nullFirstKey`
 * stream for them (see the engine's `streamsOf`).
 */
export interface StreamRange {
  lo: string | null;
  hi: string | null;
  nullFirstKey?: boolean;
}

export function rangeWhere(keys: string[], r: StreamRange): string {
  // `(k) COLLATE "C" IS NULL` is written as the index expression of the bound conditions, so an
  // index on the key column (COLLATE "C") serves it too. `k >= lo OR k IS NULL` in one stream
  // would walk the whole index through a filter (measured): NULLs get a stream of their own.
  if (r.nullFirstKey) return `WHERE (${keys[0]}) COLLATE "C" IS NULL`;
  const parts: string[] = [];
  if (r.lo !== null) parts.push(`(${keys[0]}) COLLATE "C" >= ${escapeLiteral(r.lo)}`);
  if (r.hi !== null) parts.push(`(${keys[0]}) COLLATE "C" < ${escapeLiteral(r.hi)}`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

export function orderBy(keys: string[]): string {
  return `ORDER BY ${keys.map((k) => `(${k}) COLLATE "C"`).join(', ')}`;
}

export function streamSql(s: SideSql, r: StreamRange): string {
  // NULL raw values arrive as NULL: the reader uses the field's NULL hash (`nodeMappedNullHashes`)
  const mapped = nodeMappedIndexes(s.plans).map((i) => s.plans[i]!.raw(fieldSeed(i), null));
  const cols = [...s.keys.map((k) => `(${k})`), `(${rowHashExpr(s.plans)})`, ...mapped].join(', ');
  return `COPY (SELECT ${cols} FROM ${s.from} ${rangeWhere(s.keys, r)} ${orderBy(s.keys)}) TO STDOUT (FORMAT binary)`;
}

/**
 * The side's rows in a requested range [lo, hi) (int8 as text), counted apart from the streams
 * that split it: without a bound, every row of the side's query. Rows whose first key column is
 * NULL sort after every key, so they belong to the range unbounded above.
 */
export function rangeRowsSql(s: SideSql, r: { lo: string | null; hi: string | null }): string {
  if (r.lo === null && r.hi === null) return `SELECT count(*)::text AS n FROM ${s.from}`;
  const nulls =
    r.hi === null ? ` + (SELECT count(*) FROM ${s.from} ${rangeWhere(s.keys, { lo: null, hi: null, nullFirstKey: true })})` : '';
  return `SELECT ((SELECT count(*) FROM ${s.from} ${rangeWhere(s.keys, r)})${nulls})::text AS n`;
}

/**
 * Keys (canonical, every component present) of the side's rows in a requested range whose change
 * timestamp is at or after `cutoff` (ISO instant): the rows in flight (`DomainSpec.inFlight`).
 */
export function inFlightKeysSql(
  s: SideSql,
  spec: DomainSpec,
  side: Side,
  types: ColumnTypes,
  r: { lo: string | null; hi: string | null },
  cutoff: string,
): string {
  const f = spec.inFlight!;
  const name = (side === 'legacy' ? f.legacyColumn : f.newColumn) ?? f.column;
  const info = types.get(name);
  if (!info) throw new Error(`compare: ${side} source has no change timestamp column ${name}`);
  const ref = colRef(name);
  const tz = escapeLiteral(f.timeZone ?? 'UTC');
  let at: string;
  if (info.typeOid === OID.timestamptz) at = ref;
  else if (info.typeOid === OID.timestamp) at = `(${ref} AT TIME ZONE ${tz})`;
  else {
    const t = textInput(ref);
    at = `(CASE WHEN ${t} ~ ${OFFSET_IN_TEXT} THEN (${t})::timestamptz ELSE (${t})::timestamp AT TIME ZONE ${tz} END)`;
  }
  const conds = [`${at} >= ${escapeLiteral(cutoff)}::timestamptz`, ...s.keys.map((k) => `(${k}) IS NOT NULL`)];
  const w = rangeWhere(s.keys, { lo: r.lo, hi: r.hi });
  return `SELECT DISTINCT ${s.keys.map((k) => `(${k})`).join(', ')} FROM ${s.from} ${w ? `${w} AND` : 'WHERE'} ${conds.join(' AND ')}`;
}

/**
 * The spellings of the Node-mapped fields among the side's first `sampleRows` rows, learnt before
 * the stream starts: one row per field and distinct raw value, (field's position among the
 * Node-mapped ones, raw hash, canonical hash), from the same expressions as the re-fetch's
 * learning columns. Without it every spelling was learnt from a re-check of the first row that
 * had it (10,000-14,000 keys per bench run, ~40 µs of CPU and ~2 KB of garbage each).
 */
export function spellingSampleSql(s: SideSql, sampleRows: number): string {
  // The canonical expressions (NFKC, case...) are evaluated once per distinct raw value, not per
  // row: 12 ms instead of ~700 ms per side for 50,000 rows (PostgreSQL 18 here).
  const parts = nodeMappedIndexes(s.plans).map((i, j) => {
    const p = s.plans[i]!;
    const column = escapeIdentifier(p.column);
    return `SELECT ${j}, (${p.raw(fieldSeed(i), nullHash(i))})::text, (${fieldHash(p, i)})::text FROM (SELECT DISTINCT sample.${column} FROM sample) q`;
  });
  return `WITH sample AS MATERIALIZED (SELECT * FROM ${s.from} LIMIT ${Math.floor(sampleRows)}) ${parts.join(' UNION ALL ')}`;
}

/**
 * Re-fetch canonical values of rows by key ($1..$k: text[] of key components): key columns,
 * the fields' canonical texts, then per Node-mapped field its raw and canonical hash.
 */
export function refetchSql(s: SideSql): string {
  const learn = nodeMappedIndexes(s.plans).flatMap((i) => [s.plans[i]!.raw(fieldSeed(i), nullHash(i)), fieldHash(s.plans[i]!, i)]);
  const cols = [...s.keys.map((k) => `(${k})`), ...s.plans.map((p) => p.text), ...learn].join(', ');
  if (s.keys.length === 1) {
    return `SELECT ${cols} FROM ${s.from} WHERE (${s.keys[0]}) COLLATE "C" = ANY($1::text[])`;
  }
  const params = s.keys.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const kcols = s.keys.map((_, i) => `k${i}`);
  const cond = s.keys.map((k, i) => `(${k}) COLLATE "C" = w.${kcols[i]}`).join(' AND ');
  return `SELECT ${cols} FROM ${s.from} WHERE (${s.keys[0]}) COLLATE "C" = ANY($1::text[]) AND EXISTS (SELECT 1 FROM unnest(${params}) AS w(${kcols.join(', ')}) WHERE ${cond})`;
}
