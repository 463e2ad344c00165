/** Key ranges: a side's key space split by its first key column, for streams and for activities. */
import { randomUUID } from 'node:crypto';
import { escapeLiteral } from 'pg';
import { one } from './result';
import { openSide, sideColumns, type SideState } from './side';
import { createSource } from './sources';
import { DomainSpec, type DomainSpecInput, type KeyRange, type ParsedSourceConfig } from './spec';
import type { Side } from './sql/columns';
import { keyExprs } from './sql/fields';
import type { StreamRange } from './sql/queries';

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

export type { KeyRange };

export async function splitRange(s: SideState, range: KeyRange, n: number): Promise<KeyRange[]> {
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
export function streamsOf(request: KeyRange, ranges: KeyRange[]): StreamRange[] {
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
  const opened = await src.open({
    resultsUrl: args.resultsUrl,
    runId: randomUUID(),
    side,
    columns: sideColumns(spec, side),
    keyColumns: spec.key.length,
  });
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
