/** The comparison window in a side's SQL: its bounds bound into the query, and the zones' fixed offsets around it. */
import { escapeLiteral } from 'pg';

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
