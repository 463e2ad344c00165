/** What a side's server can do (UTF8, "C"-like case mapping, timestamptz hashing), and the SQL that finds out. */
import { colRef } from './columns';

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
export const NO_TRAITS: ServerTraits = { utf8: false, asciiCase: new Set(), timestamptzHash: true };

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
