/**
 * SQL generation: canonical (normalised) expressions per field and side, the 64-bit row hash
 * over them, the ordered key+hash COPY, candidate re-fetch and range queries.
 *
 * The same canonical expression feeds the hash and the re-fetch, so "hashes equal" implies
 * "canonical values equal" (up to a 2^-64 collision) and the TypeScript re-check decides every
 * other case exactly.
 */
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { DomainSpec, FieldSpec, KeyField, Normalize, TimestampPrecision } from './spec';

export type Side = 'legacy' | 'new';

/** Result column description from a LIMIT 0 probe of the side's query. */
export interface ColumnInfo {
  typeOid: number;
  typmod: number;
}
export type ColumnTypes = Map<string, ColumnInfo>;

const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
} as const;

const TEXTUAL = new Set<number>([OID.text, OID.varchar, OID.bpchar, 0]);

/** Replace $1 / $2 (outside quotes and comments) with the window bounds as timestamptz literals. */
export function bindWindow(query: string, from: string, to: string): string {
  const lit = [`${escapeLiteral(from)}::timestamptz`, `${escapeLiteral(to)}::timestamptz`];
  let out = '';
  let i = 0;
  const n = query.length;
  while (i < n) {
    const c = query[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n) {
        if (query[j] === c) {
          if (query[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += query.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && query[i + 1] === '-') {
      const j = query.indexOf('\n', i);
      const e = j === -1 ? n : j;
      out += query.slice(i, e);
      i = e;
    } else if (c === '/' && query[i + 1] === '*') {
      const j = query.indexOf('*/', i + 2);
      const e = j === -1 ? n : j + 2;
      out += query.slice(i, e);
      i = e;
    } else if (c === '$') {
      const m = /^\$(\d+)(?![0-9])/.exec(query.slice(i, i + 12));
      if (m) {
        const idx = Number(m[1]);
        if (idx !== 1 && idx !== 2) throw new Error(`compare: query placeholder $${idx} is not supported (only $1, $2)`);
        out += lit[idx - 1];
        i += m[0].length;
        continue;
      }
      const d = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(query.slice(i, i + 64));
      if (d) {
        const tag = d[0];
        const j = query.indexOf(tag, i + tag.length);
        const e = j === -1 ? n : j + tag.length;
        out += query.slice(i, e);
        i = e;
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function col(side: Side, f: { name: string; legacyColumn?: string; newColumn?: string }): string {
  return (side === 'legacy' ? f.legacyColumn : f.newColumn) ?? f.name;
}

function colRef(name: string): string {
  return `q.${escapeIdentifier(name)}`;
}

function mergeNorm(base: Partial<Normalize> | undefined, over: Partial<Normalize> | undefined): Normalize {
  return {
    nfkc: over?.nfkc ?? base?.nfkc ?? false,
    trim: over?.trim ?? base?.trim ?? false,
    case: over?.case ?? base?.case ?? 'none',
    emptyAsNull: over?.emptyAsNull ?? base?.emptyAsNull ?? false,
    lineBreaks: over?.lineBreaks ?? base?.lineBreaks ?? false,
  };
}

/** What the side's server allows the SQL to rely on. */
export interface ServerTraits {
  /** server_encoding is UTF8: a value with as many bytes as characters is ASCII. */
  utf8: boolean;
  /**
   * Source columns whose collation is deterministic and case-maps every ASCII character as the
   * "C" collation does (checked on the server, see `asciiCaseSql`): for an ASCII value,
   * upper/lower in "C" (a byte loop) give the same text as in the column's collation.
   */
  asciiCase: ReadonlySet<string>;
  /**
   * The server has `timestamptz_hash_extended` (PostgreSQL 16 and later); before that the
   * instant is hashed as its UTC wall-clock `timestamp`, the same 64-bit number, so both give
   * equal hashes for equal instants (the start-up hash check holds servers to it).
   */
  timestamptzHash: boolean;
}
const NO_TRAITS: ServerTraits = { utf8: false, asciiCase: new Set(), timestamptzHash: true };

/** SQL: 64-bit hash of a timestamptz expression, on a server with these traits. */
export function instantHash(traits: Pick<ServerTraits, 'timestamptzHash'>, v: string, seed: number | string): string {
  return traits.timestamptzHash
    ? `timestamptz_hash_extended(${v}, ${seed})`
    : `timestamp_hash_extended((${v}) AT TIME ZONE 'UTC', ${seed})`;
}

/** Every ASCII character but NUL, for the case-mapping check. */
export const ASCII_PROBE = String.fromCharCode(...Array.from({ length: 127 }, (_, i) => i + 1));

/**
 * One row, one boolean per column: the column's collation is deterministic and maps ASCII like
 * "C" ($1 = ASCII_PROBE). Runs on the side's query with no row read (LIMIT 0, outer-joined).
 */
export function asciiCaseSql(query: string, columns: string[]): string {
  const checks = columns.map((c) => {
    const x = `coalesce(${colRef(c)}::text, '')`;
    return `(upper(${x} || $1::text) = upper($1::text COLLATE "C") AND lower(${x} || $1::text) = lower($1::text COLLATE "C")
      AND (SELECT collisdeterministic FROM pg_collation WHERE oid = pg_collation_for(${x})::regcollation))`;
  });
  return `SELECT ${checks.join(', ')} FROM (SELECT * FROM (${query}) q0 LIMIT 0) q RIGHT JOIN (SELECT 1) d ON true`;
}

/** A text field's normalisation: the domain defaults overridden by the field's own. */
export function fieldNormalize(spec: DomainSpec, f: FieldSpec): Normalize {
  return mergeNorm(spec.defaults.normalize, f.normalize);
}

/** One side's normalisation of a text field: the field's, overridden by the side's own (`legacyNormalize` / `newNormalize`). */
export function sideNormalize(spec: DomainSpec, f: FieldSpec, side: Side): Normalize {
  return mergeNorm(fieldNormalize(spec, f), side === 'legacy' ? f.legacyNormalize : f.newNormalize);
}

/**
 * NULL and '' may hash alike (as '', one nullif call less per value) only when both sides read
 * '' as NULL and no value map can turn '' into something else: then equal hashes still mean
 * equal canonical values. With one side only, '' there and NULL on the other would hash alike.
 */
export function emptyHashesAsNull(spec: DomainSpec, f: FieldSpec): boolean {
  return !f.valueMap && sideNormalize(spec, f, 'legacy').emptyAsNull && sideNormalize(spec, f, 'new').emptyAsNull;
}

/** Source columns of this side that some text normalisation case-folds. */
export function caseFoldedColumns(spec: DomainSpec, side: Side): string[] {
  const out = new Set<string>();
  for (const k of spec.key) if ((k.normalize?.case ?? 'none') !== 'none') out.add(col(side, k));
  for (const f of comparedFields(spec)) {
    if (f.type === 'text' && sideNormalize(spec, f, side).case !== 'none') out.add(col(side, f));
  }
  return [...out];
}

function normText(v: string, n: Normalize, traits: ServerTraits, column: string): string {
  const rest = (x: string, ascii: boolean): string => {
    let e = x;
    // CRLF first, then a lone CR (two plain replace calls cost less than one regexp_replace)
    if (n.lineBreaks) e = `replace(replace(${e}, E'\\r\\n', E'\\n'), E'\\r', E'\\n')`;
    if (n.trim) e = `btrim(${e})`;
    // "C" for ASCII values: about 0.15 µs less per value than a libc (C.UTF-8) case mapping
    const c = ascii && traits.asciiCase.has(column) ? ' COLLATE "C"' : '';
    if (n.case === 'upper') e = `upper(${e}${c})`;
    else if (n.case === 'lower') e = `lower(${e}${c})`;
    if (n.emptyAsNull) e = `nullif(${e}, '')`;
    return e;
  };
  const ascii = `octet_length(${v}) = length(${v})`;
  if (!traits.utf8) return rest(n.nfkc ? `normalize(${v}, NFKC)` : v, false);
  if (!n.nfkc) {
    // the ASCII test (~0.06 µs) costs less than the "C" case mapping saves (~0.15 µs)
    return n.case !== 'none' && traits.asciiCase.has(column)
      ? `(CASE WHEN ${ascii} THEN ${rest(v, true)} ELSE ${rest(v, false)} END)`
      : rest(v, false);
  }
  // NFKC leaves ASCII as it is, and normalize() costs about 0.1 µs per character (most of a
  // row's cost with several NFKC fields): ASCII values, and values already in NFKC, skip it.
  // The branches give the same text for such values, so the hash and the re-fetched value do
  // not depend on the branch taken.
  return `(CASE WHEN ${ascii} THEN ${rest(v, true)} WHEN ${v} IS NFKC NORMALIZED THEN ${rest(v, false)} ELSE ${rest(`normalize(${v}, NFKC)`, false)} END)`;
}

const PRECISION_DIGITS: Record<TimestampPrecision, number> = { minute: -2, second: 0, millisecond: 3, microsecond: 6 };
const PRECISION_INTERVAL: Record<TimestampPrecision, string> = {
  minute: '1 minute',
  second: '1 second',
  millisecond: '1 millisecond',
  microsecond: '1 microsecond',
};

function textInput(ref: string): string {
  return `nullif(btrim(${ref}::text), '')`;
}

export interface FieldPlan {
  field: FieldSpec;
  /** the side's source column */
  column: string;
  /** canonical value expression (typed) */
  value: string;
  /** 64-bit hash of the canonical value (for mapped legacy fields: of the mapped code); NULL for NULL */
  hash(seed: number): string;
  /** canonical text for the exact re-check (legacy mapped fields: normalised raw code) */
  text: string;
  /**
   * Field normalised (and code-mapped) in Node: a code-mapped field, or a normalised text field
   * with few spellings (`learnableTextFields`, chosen by a probe). The stream sends the hash of
   * the raw value (`raw`) in a column of its own, left out of the row hash; the reader looks it
   * up in a table of raw hash -> canonical hash (legacy code fields: of the mapped code) that the
   * exact re-check fills in (see engine's `SpellingDictionary`), and XORs the canonical hash in.
   */
  nodeMapped: boolean;
  /**
   * 64-bit hash of the raw value, for `nodeMapped` fields; NULL as `nullHash`, or as SQL NULL
   * when it is null (the stream: the reader stands the NULL hash in, one `coalesce` less per value).
   */
  raw(seed: number, nullHash: bigint | null): string;
}

/**
 * A zone whose UTC offset is the same at every minute of [from - 1 day, to + 1 day): naive local
 * values in [lo, hi) convert by subtracting the offset, about half the cost of AT TIME ZONE.
 */
export interface FixedOffset {
  lo: string;
  hi: string;
  offsetSeconds: number;
}
export type FixedOffsets = Map<string, FixedOffset>;

/** The fixed offset of each zone over the window, if it has one (one small query on the side's server). */
export function fixedOffsetSql(zone: string, from: string, to: string): string {
  const tz = escapeLiteral(zone);
  const a = `(${escapeLiteral(from)}::timestamptz - interval '1 day')`;
  const b = `(${escapeLiteral(to)}::timestamptz + interval '1 day')`;
  return `SELECT min(o) = max(o) AS fixed, extract(epoch FROM min(o))::float8 AS off,
    (${a} AT TIME ZONE ${tz})::text AS lo, (${b} AT TIME ZONE ${tz})::text AS hi
    FROM (SELECT (t AT TIME ZONE ${tz}) - (t AT TIME ZONE 'UTC') AS o
          FROM generate_series(${a}, ${b}, interval '1 minute') t) s`;
}

/**
 * Code maps as `jsonb` literals; `reverse` (new code -> legacy code) only for one-to-one maps that
 * report unmapped codes; `passThrough`: an unmapped legacy code is compared unchanged.
 */
export type CodeMapSql = Map<string, { forward: string; reverse: string | null; passThrough: boolean }>;

/** Build the canonical expression of one compared field on one side. */
export function fieldPlan(
  spec: DomainSpec,
  f: FieldSpec,
  side: Side,
  types: ColumnTypes,
  codeMaps: CodeMapSql,
  fixedOffsets: FixedOffsets = new Map(),
  traits: ServerTraits = NO_TRAITS,
  /** Code-mapped fields whose map Node applies to the legacy hash (no lookup in SQL on either side). */
  nodeMapped: ReadonlySet<string> = new Set(),
): FieldPlan {
  const name = col(side, f);
  const info = types.get(name);
  if (!info) throw new Error(`compare: ${side} source has no column ${name}`);
  const ref = colRef(name);
  const textual = TEXTUAL.has(info.typeOid);
  let value: string;
  let text: string;
  let hash: (seed: number) => string;
  let mappedInNode = false;
  switch (f.type) {
    case 'text': {
      const n = sideNormalize(spec, f, side);
      value = normText(`${ref}::text`, n, traits, name);
      if (f.valueMap?.side === side) {
        // one side's value map, after its normalisation: a value in the map is replaced, others kept
        const m = codeMaps.get(f.valueMap.map);
        if (m === undefined) throw new Error(`compare: code map ${f.valueMap.map} not loaded`);
        value = `(CASE WHEN ${value} IS NULL THEN NULL ELSE coalesce(${m.forward}->>(${value}), ${value}) END)`;
      }
      text = value;
      let input = value;
      let emptyIsNull = false;
      if (nodeMapped.has(f.name)) {
        // Neither server normalises (or looks up the code) per row (see FieldPlan.nodeMapped).
        mappedInNode = true;
      }
      if (emptyHashesAsNull(spec, f) && (!f.codeMap || nodeMapped.has(f.name))) {
        // '' and NULL both hash as '' (one nullif call less per value): equal hashes still mean
        // equal canonical values. The re-fetched text keeps nullif.
        input = normText(`${ref}::text`, { ...n, emptyAsNull: false }, traits, name);
        emptyIsNull = true;
      }
      if (f.codeMap && !nodeMapped.has(f.name)) {
        const m = codeMaps.get(f.codeMap);
        if (m === undefined) throw new Error(`compare: code map ${f.codeMap} not loaded`);
        // A one-to-one map is applied backwards on the new side (legacy codes hashed as they are):
        // the lookup (about a quarter of the legacy row's cost) moves to the cheaper side, so the
        // two streams take about the same time. Equal hashes still mean map(legacy) = new code.
        const json = m.reverse === null ? (side === 'legacy' ? m.forward : null) : side === 'new' ? m.reverse : null;
        // an unmapped code is marked (\x01), so that its hash differs and the re-check reports it, or passes through as it is
        const unmapped = m.passThrough ? value : `E'\\x01' || ${value}`;
        if (json !== null) input = `(CASE WHEN ${value} IS NULL THEN NULL ELSE coalesce(${json}->>(${value}), ${unmapped}) END)`;
      }
      hash = (seed) =>
        emptyIsNull
          ? `coalesce(hashtextextended(${input}, ${seed}), hashtextextended('', ${seed}))`
          : `hashtextextended(${input}, ${seed})`;
      break;
    }
    case 'numeric':
    case 'integer': {
      const isInt = f.type === 'integer' && f.scale === undefined;
      let v = textual ? textInput(ref) : ref;
      let fn = 'hashint8extended';
      if (isInt) {
        v = `(${v})::int8`;
      } else {
        v = `(${v})::numeric`;
        fn = 'hash_numeric_extended';
        if (f.scale !== undefined) {
          const declaredScale =
            info.typeOid === OID.numeric && info.typmod >= 4
              ? (info.typmod - 4) & 0xffff
              : info.typeOid === OID.int2 || info.typeOid === OID.int4 || info.typeOid === OID.int8
                ? 0
                : Infinity;
          if (declaredScale > f.scale) v = `round(${v}, ${f.scale})`;
        }
      }
      value = v;
      text = `(${v})::text`;
      hash = (seed) => `${fn}(${v}, ${seed})`;
      break;
    }
    case 'timestamp': {
      if (f.ambiguousTime) {
        ({ value, text, hash } = localTimePlan(f, f.ambiguousTime, side, info, ref, fixedOffsets, traits));
        break;
      }
      const tz = escapeLiteral(f.timeZone ?? 'UTC');
      let v: string;
      if (info.typeOid === OID.timestamptz) v = ref;
      else if (info.typeOid === OID.timestamp) v = `(${ref} AT TIME ZONE ${tz})`;
      else if (info.typeOid === OID.date) v = `((${ref})::timestamp AT TIME ZONE ${tz})`;
      else {
        const t = textInput(ref);
        v = `(CASE WHEN ${t} ~ '[T ]\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?\\s*(Z|z|[+-]\\d\\d(:?\\d\\d)?)$' THEN (${t})::timestamptz ELSE (${t})::timestamp AT TIME ZONE ${tz} END)`;
      }
      const declared = (info.typeOid === OID.timestamptz || info.typeOid === OID.timestamp) && info.typmod >= 0 ? info.typmod : 6;
      const p = f.timestampPrecision;
      const bin = p !== undefined && (p === 'minute' || declared > PRECISION_DIGITS[p]);
      const binned = (x: string, origin: string): string =>
        bin && p ? `date_bin(${escapeLiteral(PRECISION_INTERVAL[p])}::interval, ${x}, ${origin})` : x;
      v = binned(v, `timestamptz '1970-01-01 00:00:00+00'`);
      value = v;
      text = `to_char((${v}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
      const fixed = info.typeOid === OID.timestamp ? fixedOffsets.get(f.timeZone ?? 'UTC') : undefined;
      if (fixed) {
        // timestamp and timestamptz hash the same int64 (microseconds since 2000-01-01 UTC), so the
        // shifted naive value hashes like the absolute one; values outside [lo, hi) take the slow path.
        const utc = binned(`(${ref} - ${escapeLiteral(`${fixed.offsetSeconds} seconds`)}::interval)`, `timestamp '1970-01-01 00:00:00'`);
        const inRange = `${ref} >= ${escapeLiteral(fixed.lo)}::timestamp AND ${ref} < ${escapeLiteral(fixed.hi)}::timestamp`;
        hash = (seed) => `(CASE WHEN ${inRange} THEN timestamp_hash_extended(${utc}, ${seed}) ELSE ${instantHash(traits, v, seed)} END)`;
      } else {
        hash = (seed) => instantHash(traits, v, seed);
      }
      break;
    }
    case 'date': {
      const v = textual ? `(${textInput(ref)})::date` : `(${ref})::date`;
      value = v;
      text = `(${v})::text`;
      hash = (seed) => `hashint4extended(${v} - DATE '2000-01-01', ${seed})`;
      break;
    }
    case 'boolean': {
      const v = textual ? `(${textInput(ref)})::boolean` : `(${ref})::boolean`;
      value = v;
      text = `(${v})::text`;
      hash = (seed) => `hashint4extended((${v})::int4, ${seed})`;
      break;
    }
  }
  const raw = (seed: number, nh: bigint | null): string =>
    nh === null ? `hashtextextended(${ref}::text, ${seed})` : `coalesce(hashtextextended(${ref}::text, ${seed}), ${nh}::int8)`;
  return { field: f, column: name, value, hash, text, nodeMapped: mappedInNode, raw };
}

/** Canonical text of a naive local time that does not exist in its zone (the skipped hour): never a valid instant's text. */
export const NONEXISTENT_TIME = 'nonexistent local time ';

const OFFSET_IN_TEXT = `'[T ]\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?\\s*(Z|z|[+-]\\d\\d(:?\\d\\d)?)$'`;

/**
 * A timestamp field with `ambiguousTime`: a naive local time `n` in the zone is resolved to the
 * instants that show it, found without trusting the server's choice: the zone's offsets a day
 * before and a day after (`n` read as UTC, so the offset itself stays inside the margin), each
 * tried and kept when the instant shows `n` again. One valid candidate: an ordinary time; two:
 * the repeated hour (earlier = least, later = greatest); none: the skipped hour, reported
 * (`NONEXISTENT_TIME`) instead of shifted. 'wall' compares both sides as wall-clock time in the
 * zone (an instant becomes its local time). About six AT TIME ZONE per value, hence opt-in.
 */
function localTimePlan(
  f: FieldSpec,
  choice: 'earlier' | 'later' | 'wall',
  side: Side,
  info: ColumnInfo,
  ref: string,
  fixedOffsets: FixedOffsets,
  traits: ServerTraits,
): { value: string; text: string; hash: (seed: number) => string } {
  const tz = escapeLiteral(f.timeZone ?? 'UTC');
  // the row's value as a naive local time (n) or as an instant (i): one of them, per row for text
  let n: string | null = null;
  let i: string | null = null;
  let isInstant = 'false';
  if (info.typeOid === OID.timestamptz) {
    i = ref;
    isInstant = 'true';
  } else if (info.typeOid === OID.timestamp) n = ref;
  else if (info.typeOid === OID.date) n = `(${ref})::timestamp`;
  else {
    const t = textInput(ref);
    isInstant = `coalesce(${t} ~ ${OFFSET_IN_TEXT}, false)`;
    n = `(CASE WHEN NOT ${isInstant} THEN (${t})::timestamp END)`;
    i = `(CASE WHEN ${isInstant} THEN (${t})::timestamptz END)`;
  }
  const candidate = (shift: '-' | '+'): { c: string; ok: string } => {
    const x = `(${n} ${shift} interval '1 day')`;
    const c = `((${n} - ((${x} AT TIME ZONE 'UTC') AT TIME ZONE ${tz} - ${x})) AT TIME ZONE 'UTC')`;
    return { c, ok: `((${c} AT TIME ZONE ${tz}) = ${n})` };
  };
  const a = n === null ? null : candidate('-');
  const b = n === null ? null : candidate('+');
  const gap = a && b ? `(${n} IS NOT NULL AND NOT ${a.ok} AND NOT ${b.ok})` : 'false';
  const declared = (info.typeOid === OID.timestamptz || info.typeOid === OID.timestamp) && info.typmod >= 0 ? info.typmod : 6;
  const p = f.timestampPrecision;
  const bin = p !== undefined && (p === 'minute' || declared > PRECISION_DIGITS[p]);
  const binned = (x: string, origin: string): string =>
    bin && p ? `date_bin(${escapeLiteral(PRECISION_INTERVAL[p])}::interval, ${x}, ${origin})` : x;
  const missing = `hashtextextended(${escapeLiteral(`golive ${NONEXISTENT_TIME}${side}`)}`;
  const nonexistent = n === null ? "''" : `${escapeLiteral(NONEXISTENT_TIME)} || to_char(${n}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
  if (choice === 'wall') {
    const wall = binned(
      n === null ? `(${i} AT TIME ZONE ${tz})` : i === null ? n : `(CASE WHEN ${isInstant} THEN ${i} AT TIME ZONE ${tz} ELSE ${n} END)`,
      `timestamp '1970-01-01 00:00:00'`,
    );
    return {
      value: wall,
      text: `(CASE WHEN ${gap} THEN ${nonexistent} ELSE to_char(${wall}, 'YYYY-MM-DD"T"HH24:MI:SS.US') END)`,
      // the side in the seed's text: two nonexistent times never hash alike, so they are re-checked and reported
      hash: (seed) => `(CASE WHEN ${gap} THEN ${missing}, ${seed}) ELSE timestamp_hash_extended(${wall}, ${seed}) END)`,
    };
  }
  const pick = choice === 'earlier' ? 'least' : 'greatest';
  const local =
    a && b
      ? `(CASE WHEN ${a.ok} AND ${b.ok} THEN ${pick}(${a.c}, ${b.c}) WHEN ${a.ok} THEN ${a.c} WHEN ${b.ok} THEN ${b.c} END)`
      : 'NULL::timestamptz';
  const instant = binned(
    n === null ? i! : i === null ? local : `(CASE WHEN ${isInstant} THEN ${i} ELSE ${local} END)`,
    `timestamptz '1970-01-01 00:00:00+00'`,
  );
  const slow = (seed: number): string => `(CASE WHEN ${gap} THEN ${missing}, ${seed}) ELSE ${instantHash(traits, instant, seed)} END)`;
  const fixed = info.typeOid === OID.timestamp ? fixedOffsets.get(f.timeZone ?? 'UTC') : undefined;
  return {
    value: instant,
    text: `(CASE WHEN ${gap} THEN ${nonexistent} ELSE to_char((${instant}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END)`,
    hash: fixed
      ? // a fixed offset around the window: no repeated or skipped time there (as in fieldPlan)
        (seed) => {
          const utc = binned(`(${ref} - ${escapeLiteral(`${fixed.offsetSeconds} seconds`)}::interval)`, `timestamp '1970-01-01 00:00:00'`);
          return `(CASE WHEN ${ref} >= ${escapeLiteral(fixed.lo)}::timestamp AND ${ref} < ${escapeLiteral(fixed.hi)}::timestamp THEN timestamp_hash_extended(${utc}, ${seed}) ELSE ${slow(seed)} END)`;
        }
      : slow,
  };
}

/**
 * Compared text fields without a code map whose canonical form costs the server work (NFKC,
 * trim, case, empty-as-NULL): candidates for hashing raw and mapping in Node from learnt
 * spellings. Without any normalisation the canonical hash is already the raw hash.
 */
export function learnableTextFields(spec: DomainSpec): FieldSpec[] {
  return comparedFields(spec).filter((f) => {
    if (f.type !== 'text' || f.codeMap || f.learnSpellings === false) return false;
    const work = (n: Normalize): boolean => n.nfkc || n.trim || n.case !== 'none' || n.emptyAsNull || n.lineBreaks;
    return !!f.valueMap || work(sideNormalize(spec, f, 'legacy')) || work(sideNormalize(spec, f, 'new'));
  });
}

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

const INTEGER_OIDS = new Set<number>([OID.int2, OID.int4, OID.int8]);

export function keyExprs(spec: DomainSpec, side: Side, types: ColumnTypes, traits: ServerTraits = NO_TRAITS): string[] {
  return spec.key.map((k: KeyField) => {
    const name = col(side, k);
    const info = types.get(name);
    if (!info) throw new Error(`compare: ${side} source has no key column ${name}`);
    if (((side === 'legacy' ? k.legacyType : k.newType) ?? k.type) === 'integer') {
      // the integer's decimal text on both sides ('000123' and 123 alike); numeric, not int8, so
      // no value overflows; anything else is no key (NULL: an invalid key)
      if (INTEGER_OIDS.has(info.typeOid)) return `${colRef(name)}::text`;
      const t = `btrim(${colRef(name)}::text)`;
      return `(CASE WHEN ${t} ~ '^[+-]?[0-9]+$' THEN (${t})::numeric::text END)`;
    }
    const n = mergeNorm(undefined, k.normalize);
    return normText(`${colRef(name)}::text`, n, traits, name);
  });
}

export function comparedFields(spec: DomainSpec): FieldSpec[] {
  const ignored = new Set(spec.ignore);
  return spec.fields.filter((f) => !f.ignore && !ignored.has(f.name));
}

/** Seed of the i-th compared field's hash. */
export function fieldSeed(i: number): number {
  return 1009 + i;
}

/** The i-th compared field's hash of NULL. */
export function nullHash(i: number): bigint {
  return BigInt(-(7919 * (i + 1)));
}

export function fieldHash(p: FieldPlan, i: number): string {
  return `coalesce(${p.hash(fieldSeed(i))}, ${nullHash(i)}::int8)`;
}

/** XOR of the field hashes, without the fields mapped in Node (sent as columns of their own). */
export function rowHashExpr(plans: FieldPlan[]): string {
  const parts = plans.map((p, i) => (p.nodeMapped ? null : fieldHash(p, i))).filter((x): x is string => x !== null);
  return parts.length === 0 ? '0::int8' : parts.join(' # ');
}

/** Indexes (in `plans`) of the fields mapped in Node, in stream column order. */
export function nodeMappedIndexes(plans: FieldPlan[]): number[] {
  return plans.flatMap((p, i) => (p.nodeMapped ? [i] : []));
}

/** The NULL hash of each Node-mapped field, in stream column order (what `raw` gives a NULL in the re-fetch). */
export function nodeMappedNullHashes(plans: FieldPlan[]): bigint[] {
  return nodeMappedIndexes(plans).map((i) => nullHash(i));
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

export { escapeIdentifier, escapeLiteral };
