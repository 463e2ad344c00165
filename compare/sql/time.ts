/** Timestamps in SQL: precision bins, text with an offset, and naive local times in their zone's repeated and skipped hours. */
import { escapeLiteral } from 'pg';
import type { FieldSpec, TimestampPrecision } from '../spec';
import { OID, textInput, type ColumnInfo, type Side } from './columns';
import { instantHash, type ServerTraits } from './traits';
import type { FixedOffsets } from './window';

export const PRECISION_DIGITS: Record<TimestampPrecision, number> = { minute: -2, second: 0, millisecond: 3, microsecond: 6 };
export const PRECISION_INTERVAL: Record<TimestampPrecision, string> = {
  minute: '1 minute',
  second: '1 second',
  millisecond: '1 millisecond',
  microsecond: '1 microsecond',
};

/** Canonical text of a naive local time that does not exist in its zone (the skipped hour): never a valid instant's text. */
export const NONEXISTENT_TIME = 'nonexistent local time ';

export const OFFSET_IN_TEXT = `'[T ]\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?\\s*(Z|z|[+-]\\d\\d(:?\\d\\d)?)$'`;

/**
 * A timestamp field with `ambiguousTime`: a naive local time `n` in the zone is resolved to the
 * instants that show it, found without trusting the server's choice: the zone's offsets a day
 * before and a day after (`n` read as UTC, so the offset itself stays inside the margin), each
 * tried and kept when the instant shows `n` again. One valid candidate: an ordinary time; two:
 * the repeated hour (earlier = least, later = greatest); none: the skipped hour, reported
 * (`NONEXISTENT_TIME`) instead of shifted. 'wall' compares both sides as wall-clock time in the
 * zone (an instant becomes its local time). About six AT TIME ZONE per value, hence opt-in.
 */
export function localTimePlan(
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
