/** Learnt spellings: text fields hashed raw and mapped to their canonical hash in Node. */
import { int64Parts } from './codeMaps';
import { HashMap } from './hashMap';
import { one } from './result';
import type { SideState } from './side';
import type { DomainSpec } from './spec';
import type { Side } from './sql/columns';
import { learnableTextFields } from './sql/normalize';
import { spellingProbeSql, spellingSampleSql } from './sql/queries';

/**
 * Normalised text fields (no code map) with at most `maxDistinct` distinct raw values among the
 * first `sampleRows` rows of both sides: these are hashed raw and mapped in Node from learnt
 * spellings. Decided before the streams, so a field never changes path mid-run; a field whose
 * spellings outgrow the sample later stays exact (unseen spellings are re-checked), only slower.
 * High-cardinality fields (names) keep the canonical expression in SQL, where each value costs
 * 0.1-0.4 µs but no re-check.
 */
export async function fewSpellings(
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
export class SpellingDictionary {
  readonly legacy: HashMap[];
  readonly next: HashMap[];
  /** Per Node-mapped field, in stream column order: its code map as hashes, or null (no code map). */
  /** `passThrough[j]`: the j-th field's code map passes unmapped codes through (they are learnt as themselves). */
  constructor(
    private readonly codeMaps: (HashMap | null)[],
    private readonly passThrough: boolean[] = [],
  ) {
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
    if (map.find(canon.hi, canon.lo)) table.set(raw.hi, raw.lo, map.hi, map.lo);
    // an unmapped legacy code passed through is compared as itself; otherwise it is not learnt:
    // its rows stay re-checked (and reported)
    else if (this.passThrough[j] === true) table.set(raw.hi, raw.lo, canon.hi, canon.lo);
  }

  /** Learn the spellings of the side's first rows (`spellingSampleSql`) before the stream. */
  async learnSample(s: SideState, sampleRows: number): Promise<void> {
    if (this.codeMaps.length === 0) return;
    const r = await s.main.query<[number, string | null, string | null]>({ text: spellingSampleSql(s.sql, sampleRows), rowMode: 'array' });
    for (const [j, raw, canon] of r.rows) this.learnOne(s.side, Number(j), raw, canon);
  }
}
