/**
 * The comparison engine.
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
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type FieldDef } from 'pg';
import { parse } from 'csv-parse';
import { BinaryKeyHashCopy, HashMap, INVALID_KEY, type RowBatch } from './copyReader';
import { comparisonStream } from './socket';
import { DifferenceWriter, keyJson, type DifferenceKind } from './differences';
import { createSource, type OpenedSource } from './sources';
import {
  CompareInput,
  DomainSpec,
  type DomainSpecInput,
  type CodeMapSpec,
  type ParsedSourceConfig,
  type Thresholds,
} from './spec';
import {
  ASCII_PROBE,
  asciiCaseSql,
  bindWindow,
  caseFoldedColumns,
  comparedFields,
  escapeLiteral,
  emptyHashesAsNull,
  fieldPlan,
  fieldSeed,
  nodeMappedIndexes,
  nodeMappedNullHashes,
  nullHash,
  fixedOffsetSql,
  keyExprs,
  learnableTextFields,
  instantHash,
  refetchSql,
  spellingSampleSql,
  spellingProbeSql,
  streamSql,
  rangeRowsSql,
  inFlightKeysSql,
  type CodeMapSql,
  type ColumnTypes,
  type FixedOffsets,
  type ServerTraits,
  type Side,
  type SideSql,
  type StreamRange,
} from './sql';
import { compareField } from './values';

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
function one<T>(rows: T[]): T {
  const r = rows[0];
  if (r === undefined) throw new Error('compare: expected a row');
  return r;
}

function sanitize(e: unknown, where: string): ComparisonError {
  if (e instanceof ComparisonError) return e;
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    return new ComparisonError(err.code, `compare: PostgreSQL error ${err.code} (${where})`);
  }
  const msg = typeof err?.message === 'string' && err.message.startsWith('compare:') ? err.message : 'compare: failed';
  return new ComparisonError('COMPARE', `${msg} (${where})`);
}

// ---------------------------------------------------------------------------------------------
// Code maps

export async function loadCodeMaps(spec: DomainSpec): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const [name, cm] of Object.entries(spec.codeMaps)) out.set(name, await loadCodeMap(cm));
  return out;
}

async function loadCodeMap(cm: CodeMapSpec): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  if (cm.kind === 'inline') {
    for (const [k, v] of Object.entries(cm.entries)) m.set(k, v);
  } else if (cm.kind === 'table') {
    const c = new Client({ connectionString: cm.url });
    await c.connect();
    try {
      await c.query('BEGIN READ ONLY');
      const r = await c.query<unknown[]>({ text: cm.query, rowMode: 'array' });
      for (const row of r.rows) if (row[0] != null && row[1] != null) m.set(String(row[0]), String(row[1]));
      await c.query('COMMIT');
    } finally {
      await c.end();
    }
  } else {
    const p = createReadStream(cm.path).pipe(parse({ columns: true, delimiter: cm.delimiter, bom: true }));
    for await (const rec of p) {
      const r = rec as Record<string, string | undefined>;
      const k = r[cm.legacyColumn];
      const v = r[cm.newColumn];
      if (k !== undefined && v !== undefined) m.set(k, v);
    }
  }
  return m;
}

function mapLiterals(m: Map<string, string>): { forward: string; reverse: string | null } {
  // null prototype: a code "__proto__" is an ordinary key
  const o = Object.create(null) as Record<string, string>;
  const r = Object.create(null) as Record<string, string>;
  let oneToOne = true;
  for (const [k, v] of m) {
    o[k] = v;
    if (Object.hasOwn(r, v)) oneToOne = false;
    r[v] = k;
  }
  const lit = (x: Record<string, string>): string => `${escapeLiteral(JSON.stringify(x))}::jsonb`;
  return { forward: lit(o), reverse: oneToOne ? lit(r) : null };
}

// ---------------------------------------------------------------------------------------------
// Side connections

/** The hashes both servers must agree on, with each server's own way of hashing an instant. */
function hashCheckSql(traits: ServerTraits): string {
  return `SELECT concat_ws(',',
  hashtextextended('golive hash check ÅÄ 漢字 ＡＢＣ', 7),
  hash_numeric_extended(1234.5600, 7),
  ${instantHash(traits, `timestamptz '2024-02-29 12:34:56.789+08'`, 7)},
  hashint8extended(42, 7),
  hashint4extended(42, 7),
  -- fixed-offset timestamps hash the naive UTC value (see FixedOffset)
  timestamp_hash_extended('2024-02-29 04:34:56.789', 7) = ${instantHash(traits, `timestamptz '2024-02-29 04:34:56.789+00'`, 7)}) AS h`;
}

interface SideState {
  side: Side;
  types: ColumnTypes;
  url: string;
  query: string;
  main: Client; // snapshot exporter, used for probes and re-fetch
  snapshot: string;
  sql: SideSql;
  others: Client[];
}

/** `stream`: a connection for a COPY stream (reads into one reused buffer, see socket.ts). */
async function connect(url: string, stream = false): Promise<Client> {
  const c = new Client({ connectionString: url, ...(stream ? { stream: comparisonStream } : {}) });
  c.on('error', () => undefined);
  await c.connect();
  await c.query(`SET TimeZone = 'UTC'; SET work_mem = '64MB'; SET application_name = 'golive-compare'`);
  return c;
}

async function openSide(
  spec: DomainSpec,
  side: Side,
  opened: OpenedSource,
  window: { from: string; to: string },
): Promise<Omit<SideState, 'sql'> & { types: ColumnTypes; traits: ServerTraits }> {
  const main = await connect(opened.url);
  await main.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const snap = await main.query<{ s: string }>('SELECT pg_export_snapshot() AS s');
  const query = bindWindow(opened.query, window.from, window.to);
  const probe = await main.query(`SELECT * FROM (${query}) q LIMIT 0`);
  const types: ColumnTypes = new Map();
  for (const f of probe.fields as FieldDef[]) types.set(f.name, { typeOid: f.dataTypeID, typmod: f.dataTypeModifier });
  const enc = await main.query<{ e: string; tz: boolean }>(
    `SELECT current_setting('server_encoding') AS e, to_regprocedure('timestamptz_hash_extended(timestamptz, int8)') IS NOT NULL AS tz`,
  );
  const folded = caseFoldedColumns(spec, side).filter((c) => types.has(c));
  const asciiCase = new Set<string>();
  if (folded.length > 0) {
    // in a savepoint: a server without regcollation (before PostgreSQL 13) keeps the slow path
    await main.query('SAVEPOINT ascii_case');
    try {
      const r = await main.query<boolean[]>({ text: asciiCaseSql(query, folded), values: [ASCII_PROBE], rowMode: 'array' });
      folded.forEach((c, i) => {
        if (one(r.rows)[i] === true) asciiCase.add(c);
      });
      await main.query('RELEASE SAVEPOINT ascii_case');
    } catch {
      await main.query('ROLLBACK TO SAVEPOINT ascii_case');
    }
  }
  const traits: ServerTraits = { utf8: one(enc.rows).e === 'UTF8', asciiCase, timestamptzHash: one(enc.rows).tz };
  return { side, url: opened.url, query, main, snapshot: one(snap.rows).s, others: [], types, traits };
}

async function joinSnapshot(s: SideState, stream = true): Promise<Client> {
  const c = await connect(s.url, stream);
  // One process per stream: a parallel plan (Gather Merge over workers) used no less CPU in total
  // (measured) and puts more processes than cores on the machine; `parallelism` spreads a run.
  await c.query('SET max_parallel_workers_per_gather = 0');
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await c.query(`SET TRANSACTION SNAPSHOT ${escapeLiteral(s.snapshot)}`);
  s.others.push(c);
  return c;
}

function buildSideSql(
  spec: DomainSpec,
  side: Side,
  types: ColumnTypes,
  query: string,
  maps: CodeMapSql,
  offsets: FixedOffsets,
  traits: ServerTraits,
  nodeMapped: ReadonlySet<string>,
): SideSql {
  const plans = comparedFields(spec).map((f) => fieldPlan(spec, f, side, types, maps, offsets, traits, nodeMapped));
  return { keys: keyExprs(spec, side, types, traits), plans, from: `(${query}) q` };
}

const FIXED_OFFSET_MAX_WINDOW_MS = 62 * 86_400_000;

/** Zones of timestamp fields whose offset is fixed around the window, as this side's server sees them. */
async function fixedOffsets(c: Client, spec: DomainSpec, window: { from: string; to: string }): Promise<FixedOffsets> {
  const out: FixedOffsets = new Map();
  // The check walks the window minute by minute: cheap for a night or a downtime window, but a
  // migration verification's window spans years (from 1970: 29 million steps), and over years
  // every zone with summer time has changed offset anyway. Long windows take AT TIME ZONE.
  if (Date.parse(window.to) - Date.parse(window.from) > FIXED_OFFSET_MAX_WINDOW_MS) return out;
  const zones = new Set(comparedFields(spec).filter((f) => f.type === 'timestamp').map((f) => f.timeZone ?? 'UTC'));
  for (const zone of zones) {
    const r = await c.query<{ fixed: boolean; off: number; lo: string; hi: string }>(fixedOffsetSql(zone, window.from, window.to));
    const z = one(r.rows);
    if (z.fixed) out.set(zone, { lo: z.lo, hi: z.hi, offsetSeconds: z.off });
  }
  return out;
}

function int64Parts(x: bigint): { hi: number; lo: number } {
  return { hi: Number(BigInt.asIntN(32, x >> 32n)), lo: Number(BigInt.asIntN(32, x)) };
}

/**
 * Code maps of compared text fields as tables of hashes (hash of the legacy code -> hash of the
 * new code, with the field's seed), computed on the legacy server (the start-up check proves
 * both servers hash alike); `SpellingDictionary` maps learnt legacy spellings through them. A field
 * whose legacy codes collide into different new codes keeps the lookup in SQL.
 */
async function hashMaps(c: Client, spec: DomainSpec, maps: Map<string, Map<string, string>>): Promise<Map<string, HashMap>> {
  const out = new Map<string, HashMap>();
  const fields = comparedFields(spec);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const m = f.type === 'text' && f.codeMap ? maps.get(f.codeMap) : undefined;
    if (!m) continue;
    const r = await c.query<{ k: string; v: string }>(
      'SELECT hashtextextended(k, $3)::text AS k, hashtextextended(v, $3)::text AS v FROM unnest($1::text[], $2::text[]) AS m(k, v)',
      [[...m.keys()], [...m.values()], fieldSeed(i)],
    );
    const table = new HashMap(r.rows.length + 2);
    const nh = int64Parts(nullHash(i)); // NULL stays NULL
    let ok = table.set(nh.hi, nh.lo, nh.hi, nh.lo);
    if (emptyHashesAsNull(spec, f)) {
      // NULL and '' hash as '' (see fieldPlan) and stay so; a map with a '' code falls back to SQL
      const e = await c.query<{ h: string }>(`SELECT hashtextextended('', $1)::text AS h`, [fieldSeed(i)]);
      const eh = int64Parts(BigInt(one(e.rows).h));
      ok = table.set(eh.hi, eh.lo, eh.hi, eh.lo) && ok;
    }
    for (const row of r.rows) {
      const k = int64Parts(BigInt(row.k));
      const v = int64Parts(BigInt(row.v));
      ok = table.set(k.hi, k.lo, v.hi, v.lo) && ok;
    }
    if (ok) out.set(f.name, table);
  }
  return out;
}

/**
 * Normalised text fields (no code map) with at most `maxDistinct` distinct raw values among the
 * first `sampleRows` rows of both sides: these are hashed raw and mapped in Node from learnt
 * spellings. Decided before the streams, so a field never changes path mid-run; a field whose
 * spellings outgrow the sample later stays exact (unseen spellings are re-checked), only slower.
 * High-cardinality fields (names) keep the canonical expression in SQL, where each value costs
 * 0.1-0.4 µs but no re-check.
 */
async function fewSpellings(
  spec: DomainSpec,
  legacy: SideState,
  next: SideState,
  opts: { sampleRows: number; maxDistinct: number },
): Promise<string[]> {
  const fields = learnableTextFields(spec);
  if (fields.length === 0 || opts.maxDistinct <= 0) return [];
  const counts = await Promise.all(
    [legacy, next].map(async (s) => {
      const r = await s.main.query<string[]>({ text: spellingProbeSql(s.query, fields, s.side, opts.sampleRows), rowMode: 'array' });
      return one(r.rows).map(Number);
    }),
  );
  return fields.filter((_, i) => counts.every((c) => c[i]! <= opts.maxDistinct)).map((f) => f.name);
}

// ---------------------------------------------------------------------------------------------
// Key ranges

/** The smallest common alphabet of the characters, as [first code point, size]. */
function alphabet(chars: string[]): [number, number] {
  const cps = chars.map((c) => c.codePointAt(0) ?? 0);
  const within = (lo: number, hi: number): boolean => cps.every((c) => c >= lo && c <= hi);
  if (within(0x30, 0x39)) return [0x30, 10]; // digits
  if (within(0x30, 0x5a)) return [0x30, 43]; // digits and capitals
  if (within(0x20, 0x7e)) return [0x20, 95]; // printable ASCII
  return [0, 0x10000];
}

function interpolate(min: string, max: string, n: number): string[] {
  // Split [min, max] into n parts by linear interpolation over the first differing characters,
  // read as digits of the alphabet they use (digit-only keys would otherwise all fall in one part).
  const a = Array.from(min);
  const b = Array.from(max);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  const prefix = a.slice(0, p).join('');
  const [first, base] = alphabet([...a.slice(p), ...b.slice(p)]);
  const DIG = Math.min(8, Math.floor(52 / Math.log2(base)));
  const num = (arr: string[]): number => {
    let v = 0;
    for (let i = 0; i < DIG; i++) {
      const cp = p + i < arr.length ? (arr[p + i]?.codePointAt(0) ?? 0) - first : 0;
      v = v * base + Math.max(0, Math.min(cp, base - 1));
    }
    return v;
  };
  const lo = num(a);
  const hi = num(b);
  const out: string[] = [];
  for (let i = 1; i < n; i++) {
    let v = Math.floor(lo + ((hi - lo) * i) / n);
    const digits: number[] = [];
    for (let d = 0; d < DIG; d++) {
      digits.unshift(v % base);
      v = Math.floor(v / base);
    }
    if (first === 0) while (digits.length && digits[digits.length - 1] === 0) digits.pop();
    const cps = digits.map((d) => d + first).map((c) => (c === 0 ? 1 : c >= 0xd800 && c <= 0xdfff ? 0xe000 : c));
    const s = prefix + String.fromCodePoint(...cps);
    if (Buffer.compare(Buffer.from(s), Buffer.from(min)) > 0 && Buffer.compare(Buffer.from(s), Buffer.from(max)) <= 0) {
      if (out.length === 0 || Buffer.compare(Buffer.from(s), Buffer.from(out[out.length - 1]!)) > 0) out.push(s);
    }
  }
  return out;
}

export interface KeyRange {
  lo: string | null;
  hi: string | null;
}

async function splitRange(s: SideState, range: KeyRange, n: number): Promise<KeyRange[]> {
  if (n <= 1) return [range];
  const k = `(${s.sql.keys[0]}) COLLATE "C"`;
  const conds: string[] = [];
  if (range.lo !== null) conds.push(`${k} >= ${escapeLiteral(range.lo)}`);
  if (range.hi !== null) conds.push(`${k} < ${escapeLiteral(range.hi)}`);
  // NULL sorts first in a descending order: without this the maximum of a side with a NULL key
  // was NULL, and the split silently off
  conds.push(`${k} IS NOT NULL`);
  const where = `WHERE ${conds.join(' AND ')}`;
  const q = `SELECT (SELECT ${k} FROM ${s.sql.from} ${where} ORDER BY 1 LIMIT 1) AS mn, (SELECT ${k} FROM ${s.sql.from} ${where} ORDER BY 1 DESC LIMIT 1) AS mx`;
  const r = await s.main.query<{ mn: string | null; mx: string | null }>(q);
  const { mn, mx } = one(r.rows);
  if (mn === null || mx === null || mn === mx) return [range];
  const cuts = interpolate(mn, mx, n);
  const out: KeyRange[] = [];
  let lo = range.lo;
  for (const c of cuts) {
    out.push({ lo, hi: c });
    lo = c;
  }
  out.push({ lo, hi: range.hi });
  return out;
}

/**
 * The streams that read a requested range split into `ranges`: the ranges, and when the request
 * is unbounded above and has a bound (its own or the split's), one more for the rows whose first
 * key column is NULL (a bound excludes NULL; NULL sorts after every key, so those rows belong to
 * the range unbounded above). An unsplit, unbounded request is one stream without a condition.
 */
function streamsOf(request: KeyRange, ranges: KeyRange[]): StreamRange[] {
  const whole = ranges.length === 1 && ranges[0]!.lo === null && ranges[0]!.hi === null;
  if (whole || request.hi !== null) return ranges;
  return [...ranges, { lo: null, hi: null, nullFirstKey: true }];
}

/**
 * Split a source's key space (first key column, byte order) into up to n ranges [lo, hi) of
 * roughly equal size, for fanning a large comparison out across activities. Cheap: uses the
 * minimum and maximum key only (index), interpolating in between. Every row is in exactly one
 * range: the last one (unbounded above) also holds the rows whose first key column is NULL.
 */
export async function keyRanges(
  args: { spec: DomainSpecInput; source: ParsedSourceConfig; side?: Side; window: { from: string; to: string }; resultsUrl: string },
  n: number,
): Promise<KeyRange[]> {
  const spec = DomainSpec.parse(args.spec);
  const side = args.side ?? 'legacy';
  const src = createSource(args.source);
  const opened = await src.open({ resultsUrl: args.resultsUrl, runId: randomUUID(), side, columns: sideColumns(spec, side), keyColumns: spec.key.length });
  try {
    const st = await openSide(spec, side, opened, args.window);
    try {
      const state: SideState = { ...st, sql: { keys: keyExprs(spec, side, st.types, st.traits), plans: [], from: `(${st.query}) q` } };
      return await splitRange(state, { lo: null, hi: null }, n);
    } finally {
      await st.main.end().catch(() => undefined);
    }
  } finally {
    await opened.cleanup();
  }
}

function sideColumns(spec: DomainSpec, side: Side): string[] {
  const pick = (f: { name: string; legacyColumn?: string; newColumn?: string }): string =>
    (side === 'legacy' ? f.legacyColumn : f.newColumn) ?? f.name;
  return [...spec.key.map(pick), ...spec.fields.map(pick), ...(spec.inFlight ? [pick({ ...spec.inFlight, name: spec.inFlight.column })] : [])];
}

// ---------------------------------------------------------------------------------------------
// Classification helpers

interface Counters {
  rowsLegacy: number;
  rowsNew: number;
  distinctKeys: number;
}

function splitKey(buf: Buffer, s: number, e: number): (string | null)[] {
  const parts: (string | null)[] = [];
  let st = s;
  for (let i = s; i <= e; i++) {
    if (i === e || buf[i] === 0) {
      parts.push(i - st === 1 && buf[st] === 0xff ? null : buf.toString('utf8', st, i));
      st = i + 1;
    }
  }
  return parts;
}

function keyEq(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): boolean {
  const len = ae - as;
  if (len !== be - bs) return false;
  for (let i = len - 1; i >= 0; i--) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

/**
 * Spellings learnt per probed field (no code map) and side at most: memory stays bounded
 * whatever the probe missed. Code fields are not capped (as before): their spellings are bounded
 * by the map, and a cap there would re-check every row of a large map's later codes.
 */
export const MAX_LEARNT_SPELLINGS = 10_000;

/**
 * Raw-value hash -> canonical hash tables of the Node-mapped fields (code fields, and text
 * fields the spelling probe found to have few spellings; legacy code fields: the hash of the
 * mapped new code), filled from the exact re-check: a row whose raw value is not in the table is
 * re-checked, and its re-fetched raw and canonical hashes (from the same canonical SQL
 * expression, same row, same snapshot) teach the table, so later rows with that spelling need
 * neither the re-check nor any normalisation or lookup in SQL. The canonical value is a function
 * of the raw text on each server, so a learnt entry is true for every row; equal hashes still
 * mean (map of) canonical legacy value = canonical new value. A probed field's table holds at
 * most MAX_LEARNT_SPELLINGS entries; rows with a spelling beyond that stay re-checked (exact,
 * slower).
 */
class SpellingDictionary {
  readonly legacy: HashMap[];
  readonly next: HashMap[];
  /** Per Node-mapped field, in stream column order: its code map as hashes, or null (no code map). */
  constructor(private readonly codeMaps: (HashMap | null)[]) {
    this.legacy = codeMaps.map(() => new HashMap());
    this.next = codeMaps.map(() => new HashMap());
  }

  /** `hashes`: raw and canonical hash (int8 text) per Node-mapped field, from the re-fetch. */
  learn(side: Side, hashes: (string | null)[]): void {
    for (let j = 0; j < this.codeMaps.length; j++) this.learnOne(side, j, hashes[2 * j], hashes[2 * j + 1]);
  }

  /** One spelling of the j-th Node-mapped field: its raw and canonical hash (int8 text). */
  learnOne(side: Side, j: number, rawText: string | null | undefined, canonText: string | null | undefined): void {
    if (rawText == null || canonText == null) return;
    const table = side === 'new' ? this.next[j]! : this.legacy[j]!;
    if (this.codeMaps[j] === null && table.size >= MAX_LEARNT_SPELLINGS) return;
    const raw = int64Parts(BigInt(rawText));
    const canon = int64Parts(BigInt(canonText));
    const map = side === 'new' ? null : this.codeMaps[j]!;
    if (map === null) {
      table.set(raw.hi, raw.lo, canon.hi, canon.lo);
      return;
    }
    // an unmapped legacy code is not learnt: its rows stay re-checked (and reported)
    if (map.find(canon.hi, canon.lo)) table.set(raw.hi, raw.lo, map.hi, map.lo);
  }

  /** Learn the spellings of the side's first rows (`spellingSampleSql`) before the stream. */
  async learnSample(s: SideState, sampleRows: number): Promise<void> {
    if (this.codeMaps.length === 0) return;
    const r = await s.main.query<[number, string | null, string | null]>({ text: spellingSampleSql(s.sql, sampleRows), rowMode: 'array' });
    for (const [j, raw, canon] of r.rows) this.learnOne(s.side, Number(j), raw, canon);
  }
}

class Rechecker {
  private pending: (string | null)[][] = [];
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly spec: DomainSpec,
    private readonly legacy: SideState,
    private readonly next: SideState,
    private readonly maps: Map<string, Map<string, string>>,
    private readonly writer: DifferenceWriter,
    private readonly dictionary: SpellingDictionary,
    private readonly batch = 2000,
  ) {}

  /** Keys re-checked so far (for COMPARE_TRACE). */
  count = 0;

  add(key: (string | null)[]): Promise<void> | null {
    this.count++;
    this.pending.push(key);
    if (this.pending.length < this.batch) return null;
    return this.flush();
  }

  /**
   * Queue the pending keys; resolves when every batch but this one is done, so the merge goes on
   * streaming while one batch is re-checked (it used to stop for each; the re-check uses other
   * connections) and at most two batches are held.
   */
  flush(): Promise<void> {
    const keys = this.pending;
    this.pending = [];
    const before = this.chain;
    if (keys.length === 0) return before;
    this.chain = before.then(() => this.process(keys));
    this.chain.catch(() => undefined); // surfaced by the next flush or drain, not as unhandled
    return before;
  }

  /** Every queued batch done. */
  async drain(): Promise<void> {
    await this.flush();
    await this.chain;
  }

  private async process(keys: (string | null)[][]): Promise<void> {
    const complete = keys.filter((k) => k.every((p) => p !== null));
    const d = this.dictionary;
    const [lrows, nrows] = await Promise.all([
      fetchRows(this.legacy, complete, (tail) => d.learn('legacy', tail)),
      fetchRows(this.next, complete, (tail) => d.learn('new', tail)),
    ]);
    const fields = comparedFields(this.spec);
    for (const key of keys) {
      const kj = keyJson(key);
      const id = key.join('\u0000');
      const l = lrows.get(id);
      const n = nrows.get(id);
      if (!l || !n || l.length !== 1 || n.length !== 1) {
        // changed under us (keys with a NULL component are invalid_key, never re-checked)
        this.writer.add(kj, 'mismatch', null, null, null);
        continue;
      }
      classifyPair(fields, this.maps, l[0]!, n[0]!, (kind, field, lv, nv) => this.writer.add(kj, kind, field, lv, nv));
    }
    await this.writer.maybeFlush();
  }
}

type Emit = (kind: DifferenceKind, field: string | null, lv: string | null, nv: string | null) => void;

/** Compare one legacy row with one new row (canonical texts, key columns first). Returns true if equal. */
function classifyPair(
  fields: ReturnType<typeof comparedFields>,
  maps: Map<string, Map<string, string>>,
  l: (string | null)[],
  n: (string | null)[],
  emit: Emit,
): boolean {
  let equal = true;
  const off = l.length - fields.length;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const lv = l[off + i] ?? null;
    const nv = n[off + i] ?? null;
    const out = compareField(f, lv, nv, f.codeMap ? maps.get(f.codeMap) : undefined);
    if (out === 'equal') continue;
    equal = false;
    emit(out === 'unmapped' ? 'unmapped_code' : out === 'ambiguous' ? 'ambiguous_time' : 'mismatch', f.name, lv, nv);
  }
  return equal;
}

/** Rows by key: key columns and canonical texts (the raw/canonical hash pairs go to `learn`). */
async function fetchRows(
  s: SideState,
  keys: (string | null)[][],
  learn?: (hashes: (string | null)[]) => void,
): Promise<Map<string, (string | null)[][]>> {
  const out = new Map<string, (string | null)[][]>();
  if (keys.length === 0) return out;
  const params = s.sql.keys.map((_, i) => keys.map((k) => k[i]));
  const r = await s.main.query<(string | null)[]>({ text: refetchSql(s.sql), values: params, rowMode: 'array' });
  const kc = s.sql.keys.length;
  const width = kc + s.sql.plans.length;
  for (const row of r.rows) {
    const tail = row.splice(width);
    if (learn && tail.length > 0) learn(tail);
    const id = row.slice(0, kc).join('\u0000');
    const list = out.get(id);
    if (list) list.push(row);
    else out.set(id, [row]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Merge of one key range

async function mergeRange(
  lr: BinaryKeyHashCopy,
  nr: BinaryKeyHashCopy,
  counters: Counters,
  writer: DifferenceWriter,
  recheck: Rechecker,
  dictionary: SpellingDictionary,
): Promise<void> {
  const dl = dictionary.legacy;
  const dn = dictionary.next;
  const extra = dl.length;
  /** Complete [hi, lo] of row i (marked 2 by the reader) with the canonical hashes of its raw hashes; false if one is still unknown. */
  const applyDictionary = (b: RowBatch, i: number, d: HashMap[], h: Int32Array): boolean => {
    if (b.unmapped[i] !== 2) return true;
    const raw = b.raw!;
    for (let j = 0, o = i * extra * 2; j < extra; j++, o += 2) {
      const m = d[j]!;
      if (!m.find(raw[o]!, raw[o + 1]!)) return false;
      h[0]! ^= m.hi;
      h[1]! ^= m.lo;
    }
    return true;
  };
  const lh = new Int32Array(2);
  const rh = new Int32Array(2);
  let L: RowBatch | null = await lr.next();
  let R: RowBatch | null = await nr.next();
  let li = 0;
  let ri = 0;
  let distinct = 0;
  const emitKey = (b: RowBatch, i: number): (string | null)[] => splitKey(b.keys, b.keyStart[i]!, b.keyStart[i + 1]!);

  // Batches left behind during a group (the group's key or first row may sit in them) go back to
  // their reader at the start of the next group, when only L and R are still in use.
  const doneL: RowBatch[] = [];
  const doneR: RowBatch[] = [];
  for (;;) {
    while (doneL.length > 0) lr.release(doneL.pop()!);
    while (doneR.length > 0) nr.release(doneR.pop()!);
    if (L !== null && li >= L.n) {
      doneL.push(L);
      L = await lr.next();
      li = 0;
      continue;
    }
    if (R !== null && ri >= R.n) {
      doneR.push(R);
      R = await nr.next();
      ri = 0;
      continue;
    }
    if (L === null && R === null) break;
    // Decide the group key G: smaller of the two heads.
    let takeL: boolean;
    let takeR: boolean;
    if (L === null) {
      takeL = false;
      takeR = true;
    } else if (R === null) {
      takeL = true;
      takeR = false;
    } else {
      const ls = L.keyStart[li]!;
      const le = L.keyStart[li + 1]!;
      const rs = R.keyStart[ri]!;
      const re = R.keyStart[ri + 1]!;
      if (keyEq(L.keys, ls, le, R.keys, rs, re)) {
        takeL = takeR = true;
      } else {
        const c = L.keys.compare(R.keys, rs, re, ls, le); // L vs R
        takeL = c < 0;
        takeR = !takeL;
      }
    }
    const G: RowBatch = takeL ? (L as RowBatch) : (R as RowBatch);
    const gi = takeL ? li : ri;
    const gs = G.keyStart[gi]!;
    const ge = G.keyStart[gi + 1]!;
    let cL = 0;
    let cR = 0;
    let lhHi = 0;
    let lhLo = 0;
    let rhHi = 0;
    let rhLo = 0;
    let lflag = 0; // 1: re-check; 2: raw hashes to look up again (see RowBatch.unmapped)
    let rflag = 0;
    let lb: RowBatch | null = null;
    let lbi = 0;
    let rb: RowBatch | null = null;
    let rbi = 0;
    if (takeL) {
      let b = L as RowBatch;
      lhHi = b.hashHi[li]!;
      lhLo = b.hashLo[li]!;
      lflag = b.unmapped[li]!;
      lb = b;
      lbi = li;
      for (;;) {
        cL++;
        li++;
        if (li >= b.n) {
          doneL.push(b);
          L = await lr.next();
          li = 0;
          if (L === null) break;
          b = L;
        }
        if (!keyEq(b.keys, b.keyStart[li]!, b.keyStart[li + 1]!, G.keys, gs, ge)) break;
      }
    }
    if (takeR) {
      let b = R as RowBatch;
      rhHi = b.hashHi[ri]!;
      rhLo = b.hashLo[ri]!;
      rflag = b.unmapped[ri]!;
      rb = b;
      rbi = ri;
      for (;;) {
        cR++;
        ri++;
        if (ri >= b.n) {
          doneR.push(b);
          R = await nr.next();
          ri = 0;
          if (R === null) break;
          b = R;
        }
        if (!keyEq(b.keys, b.keyStart[ri]!, b.keyStart[ri + 1]!, G.keys, gs, ge)) break;
      }
    }
    distinct++;
    const kj0 = lflag === INVALID_KEY || rflag === INVALID_KEY ? keyJson(emitKey(G, gi)) : null;
    if (kj0 !== null) {
      // A NULL key column: no key to match by, so never matched and never a duplicate; each row
      // counts as a differing key of its own, reported on its side with the row count.
      distinct += cL + cR - 1;
      if (cL > 0) writer.add(kj0, 'invalid_key', null, String(cL), null);
      if (cR > 0) writer.add(kj0, 'invalid_key', null, null, String(cR));
      if (writer.pending >= 10000) await writer.flush();
      continue;
    }
    if (cL === 1 && cR === 1) {
      if (lflag === 0 && rflag === 0) {
        if (lhHi === rhHi && lhLo === rhLo) continue; // matched
      } else if (lflag !== 1 && rflag !== 1) {
        // raw hashes unknown when read: looked up again now, with every spelling learnt since
        lh[0] = lhHi;
        lh[1] = lhLo;
        rh[0] = rhHi;
        rh[1] = rhLo;
        if (applyDictionary(lb!, lbi, dl, lh) && applyDictionary(rb!, rbi, dn, rh) && lh[0] === rh[0] && lh[1] === rh[1]) continue; // matched
      }
      const p = recheck.add(emitKey(G, gi));
      if (p) await p;
      continue;
    }
    const kj = keyJson(emitKey(G, gi));
    if (cL === 0) writer.add(kj, 'missing_in_legacy', null, null, null);
    if (cR === 0) writer.add(kj, 'missing_in_new', null, null, null);
    if (cL > 1) writer.add(kj, 'duplicate_in_legacy', null, String(cL), null);
    if (cR > 1) writer.add(kj, 'duplicate_in_new', null, null, String(cR));
    if (writer.pending >= 10000) await writer.flush();
  }
  await Promise.all([lr.done(), nr.done()]);
  counters.rowsLegacy += lr.rows;
  counters.rowsNew += nr.rows;
  counters.distinctKeys += distinct;
}

// ---------------------------------------------------------------------------------------------
// Settle: re-check differing keys on fresh snapshots after a delay

/** Rows in flight (`DomainSpec.inFlight`): the keys found so far and how to find them again. */
interface InFlight {
  /** keyJson -> key, every component present */
  keys: Map<string, string[]>;
  cutoff: string;
  range: KeyRange;
}

async function inFlightKeys(c: Client, s: SideState, spec: DomainSpec, f: InFlight): Promise<string[][]> {
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
      classifyPair(fields, maps, l[0]!, n[0]!, (kind, field, lv, nv) => writer.add(kj, kind, field, lv, nv));
    }
  }
}

/**
 * After the settle delay: every differing key, and every key in flight whether it first matched
 * or not, re-read on fresh snapshots and re-classified. Returns the keys rechecked in flight.
 */
async function settle(
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
        const c = await connect(s.url);
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
    reclassify(writer, redo, lrows, nrows, fields, maps, counters);
    await writer.flush();
  }
  for (let i = 0; i < clean.length; i += 2000) {
    const batch = clean.slice(i, i + 2000);
    const [lrows, nrows] = await Promise.all([fetchRows(legacy, batch), fetchRows(next, batch)]);
    const writer = new DifferenceWriter(results, runId);
    reclassify(writer, batch, lrows, nrows, fields, maps, counters);
    await writer.flush();
  }
  return inFlight?.keys.size ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** The outcomes beside the original categories, as stored in comparison_run.outcomes (counts only). */
export function outcomesOf(t: Pick<CompareResult, 'invalidKeysLegacy' | 'invalidKeysNew' | 'ambiguousTimes' | 'recheckedInFlight'>): RunOutcomes {
  return { invalidKeysLegacy: t.invalidKeysLegacy, invalidKeysNew: t.invalidKeysNew, ambiguousTimes: t.ambiguousTimes, recheckedInFlight: t.recheckedInFlight };
}

export interface RunOutcomes {
  invalidKeysLegacy: number;
  invalidKeysNew: number;
  ambiguousTimes: number;
  recheckedInFlight: number;
}

function statusFor(t: Thresholds, rate: number, count: number): ComparisonStatus {
  const hit = (x?: { rate?: number; count?: number }): boolean =>
    !!x && ((x.rate !== undefined && rate > x.rate) || (x.count !== undefined && count > x.count));
  if (hit(t.critical)) return 'critical';
  if (hit(t.warning)) return 'warning';
  return 'clean';
}

async function tally(results: Client, runId: string, counters: Counters, fields: string[]): Promise<Omit<CompareResult, 'runId' | 'domain' | 'status' | 'elapsedMs' | 'recheckedInFlight'>> {
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

/**
 * Compare one domain for one window (and optional key range). Writes a comparison_run row and
 * every difference to the results database; returns counts and the run id only.
 */
export async function compareDomain(rawInput: CompareInput): Promise<CompareResult> {
  const started = Date.now();
  const input = CompareInput.parse(rawInput);
  const spec = input.spec;
  const runId = input.runId ?? randomUUID();
  const range: KeyRange = { lo: input.keyRange?.lo ?? null, hi: input.keyRange?.hi ?? null };
  const results = await connect(input.resultsUrl);
  const opened: OpenedSource[] = [];
  const sides: SideState[] = [];
  let where = 'setup';
  const trace = process.env.COMPARE_TRACE ? (w: string): void => void process.stderr.write(`[compare] ${w} +${Date.now() - started} ms\n`) : (): void => undefined;
  try {
    await results.query(
      `INSERT INTO comparison_run (id, domain, business_day, window_start, window_end, key_range_lo, key_range_hi, status, settle_ms, thresholds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9)`,
      [runId, spec.name, input.businessDay ?? null, input.window.from, input.window.to, range.lo, range.hi, input.settleMs, JSON.stringify(input.thresholds)],
    );
    where = 'code maps';
    trace(where);
    const maps = await loadCodeMaps(spec);
    const mapJson: CodeMapSql = new Map();
    for (const [k, m] of maps) mapJson.set(k, mapLiterals(m));

    const opens: (Awaited<ReturnType<typeof openSide>> & { offsets: FixedOffsets })[] = [];
    for (const side of ['legacy', 'new'] as const) {
      where = `${side} source`;
      const src = createSource(side === 'legacy' ? input.legacy : input.new);
      const o = await src.open({ resultsUrl: input.resultsUrl, runId, side, columns: sideColumns(spec, side), keyColumns: spec.key.length });
      opened.push(o);
      const st = await openSide(spec, side, o, input.window);
      // pushed at once so that `finally` closes its connection
      sides.push({ ...st, sql: { keys: [], plans: [], from: '' } });
      opens.push({ ...st, offsets: await fixedOffsets(st.main, spec, input.window) });
    }
    const [legacy, next] = [sides[0]!, sides[1]!];
    where = 'code maps';
    const nodeMaps = await hashMaps(legacy.main, spec, maps);
    const nodeMapped = new Set(nodeMaps.keys());
    where = 'spelling probe';
    trace(where);
    for (const f of await fewSpellings(spec, legacy, next, input.spellings)) nodeMapped.add(f);
    trace(`Node-mapped fields: ${[...nodeMapped].join(', ')}`);
    for (const [i, st] of opens.entries()) {
      sides[i]!.sql = buildSideSql(spec, st.side, st.types, st.query, mapJson, st.offsets, st.traits, nodeMapped);
    }
    const dictionary = new SpellingDictionary(nodeMappedIndexes(legacy.sql.plans).map((i) => nodeMaps.get(legacy.sql.plans[i]!.field.name) ?? null));
    where = 'spelling sample';
    trace(where);
    await Promise.all([legacy, next].map((s) => dictionary.learnSample(s, input.spellings.sampleRows)));
    trace(`learnt ${dictionary.legacy.map((m) => m.size).join('/')} legacy, ${dictionary.next.map((m) => m.size).join('/')} new spellings`);

    where = 'hash check';
    trace(where);
    const [hl, hn] = await Promise.all([
      legacy.main.query<{ h: string }>(hashCheckSql(opens[0]!.traits)),
      next.main.query<{ h: string }>(hashCheckSql(opens[1]!.traits)),
    ]);
    if (one(hl.rows).h !== one(hn.rows).h || !one(hl.rows).h.endsWith(',t')) throw new ComparisonError('HASH_MISMATCH', 'compare: the two servers hash differently; refusing to compare');

    where = 'key ranges';
    trace(where);
    // Key ranges, not key-hash partitions: a hash partition re-reads every row of the side to
    // compute its filter, which cost more CPU than the parallelism gained on 2 cores.
    const streams = streamsOf(range, await splitRange(legacy, range, input.parallelism));
    const nullRaw = Int32Array.from(nodeMappedNullHashes(legacy.sql.plans).flatMap((h) => {
      const p = int64Parts(h);
      return [p.hi, p.lo];
    }));
    const writer = new DifferenceWriter(results, runId);
    const recheck = new Rechecker(spec, legacy, next, maps, writer, dictionary);
    const counters: Counters = { rowsLegacy: 0, rowsNew: 0, distinctKeys: 0 };
    // More than one stream: each side's rows in the requested range are counted apart (same
    // snapshot, own connection, while the streams run), and the streams must add up to them. A
    // row in no stream (a NULL key outside every range did) would otherwise be counted nowhere.
    const expectedRows = streams.length > 1
      ? Promise.all([legacy, next].map(async (s) => {
        const c = await joinSnapshot(s, false);
        return Number(one((await c.query<{ n: string }>(rangeRowsSql(s.sql, range))).rows).n);
      }))
      : null;
    expectedRows?.catch(() => undefined); // awaited after the merge

    where = 'merge';
    trace(where);
    await Promise.all(
      streams.map(async (r) => {
        const [lc, nc] = await Promise.all([joinSnapshot(legacy), joinSnapshot(next)]);
        const lr = BinaryKeyHashCopy.start(lc, streamSql(legacy.sql, r), spec.key.length, dictionary.legacy, nullRaw);
        const nr = BinaryKeyHashCopy.start(nc, streamSql(next.sql, r), spec.key.length, dictionary.next, nullRaw);
        await mergeRange(lr, nr, counters, writer, recheck, dictionary);
      }),
    );
    if (expectedRows) {
      where = 'range rows';
      const [l, n] = await expectedRows;
      if (l !== counters.rowsLegacy || n !== counters.rowsNew) {
        // counts only: which side, how many rows the ranges read and how many the side has
        throw new ComparisonError('RANGE_ROWS', `compare: the key ranges read ${counters.rowsLegacy} legacy and ${counters.rowsNew} new rows, the sides have ${l} and ${n}; refusing a result that lost or doubled rows`);
      }
    }
    where = 'recheck';
    trace(`${where} (${recheck.count} keys re-checked)`);
    await recheck.drain();
    await writer.flush();

    let inFlight: InFlight | null = null;
    if (spec.inFlight) {
      where = 'in flight';
      const at = Date.parse(input.comparedAt ?? new Date(started).toISOString());
      if (Number.isNaN(at)) throw new ComparisonError('INVALID_INPUT', 'compare: comparedAt is not an instant');
      inFlight = { keys: new Map(), cutoff: new Date(at - spec.inFlight.withinMinutes * 60_000).toISOString(), range };
      // on the first snapshot (the streams' own), each side's main connection is free again
      for (const k of (await Promise.all([legacy, next].map((s) => inFlightKeys(s.main, s, spec, inFlight!)))).flat()) inFlight.keys.set(keyJson(k), k);
    }
    let recheckedInFlight = 0;
    if (input.settleMs > 0 || inFlight) {
      where = 'settle';
      trace(where);
      await sleep(input.settleMs);
      recheckedInFlight = await settle(results, runId, spec, legacy, next, maps, counters, inFlight);
    }

    where = 'tally';
    trace(where);
    const t = { ...(await tally(results, runId, counters, comparedFields(spec).map((f) => f.name))), recheckedInFlight };
    const status = statusFor(input.thresholds, t.mismatchRate, t.differingKeys);
    await results.query(
      `UPDATE comparison_run SET status = $2, rows_legacy = $3, rows_new = $4, distinct_keys = $5, matched = $6,
         missing_in_legacy = $7, missing_in_new = $8, mismatched = $9, duplicate_keys_legacy = $10, duplicate_keys_new = $11,
         unmapped_codes = $12, differing_keys = $13, mismatch_rate = $14, field_mismatches = $15, unmapped_by_field = $16,
         differences = $17, outcomes = $18, finished_at = now() WHERE id = $1`,
      [runId, status, t.rowsLegacy, t.rowsNew, t.distinctKeys, t.matched, t.missingInLegacy, t.missingInNew, t.mismatched,
        t.duplicateKeysLegacy, t.duplicateKeysNew, t.unmappedCodes, t.differingKeys, t.mismatchRate,
        JSON.stringify(t.fieldMismatches), JSON.stringify(t.unmappedByField), t.differences, JSON.stringify(outcomesOf(t))],
    );
    trace('done');
    return { runId, domain: spec.name, status, ...t, elapsedMs: Date.now() - started };
  } catch (e) {
    const err = sanitize(e, where);
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
  }
}
