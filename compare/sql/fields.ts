/**
 * The canonical (normalised) expression of each key and compared field per side: what the 64-bit
 * row hash (hash.ts) and the statements (queries.ts: key+hash COPY, re-fetch, ranges) are built on.
 *
 * The same canonical expression feeds the hash and the re-fetch, so "hashes equal" implies
 * "canonical values equal" (up to a 2^-64 collision) and the TypeScript re-check decides every
 * other case exactly.
 */

import { escapeLiteral } from 'pg';
import type { DomainSpec, FieldSpec, KeyField } from '../spec';
import { col, colRef, INTEGER_OIDS, OID, TEXTUAL, textInput, type ColumnTypes, type Side } from './columns';
import { emptyHashesAsNull, mergeNorm, normText, sideNormalize } from './normalize';
import { localTimePlan, PRECISION_DIGITS, PRECISION_INTERVAL } from './time';
import { instantHash, NO_TRAITS, type ServerTraits } from './traits';
import type { FixedOffsets } from './window';

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
