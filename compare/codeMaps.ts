/**
 * Code maps: loaded from a plan (inline, a table, a CSV file), as jsonb literals for the sides' SQL,
 * and as tables of hashes for the fields mapped in Node.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { Client, escapeLiteral } from 'pg';
import { HashMap } from './hashMap';
import { one } from './result';
import type { CodeMapSpec, DomainSpec } from './spec';
import { comparedFields } from './sql/columns';
import { fieldSeed, nullHash } from './sql/hash';
import { emptyHashesAsNull } from './sql/normalize';

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

/**
 * A map's jsonb literals. Passing unmapped codes through, it has no reverse: a new code outside
 * the map's values would be hashed as itself, equal to a legacy code the map renames.
 */
export function mapLiterals(
  m: Map<string, string>,
  unmapped: 'report' | 'pass-through',
): { forward: string; reverse: string | null; passThrough: boolean } {
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
  return { forward: lit(o), reverse: oneToOne && unmapped === 'report' ? lit(r) : null, passThrough: unmapped === 'pass-through' };
}

export function int64Parts(x: bigint): { hi: number; lo: number } {
  return { hi: Number(BigInt.asIntN(32, x >> 32n)), lo: Number(BigInt.asIntN(32, x)) };
}

/**
 * Code maps of compared text fields as tables of hashes (hash of the legacy code -> hash of the
 * new code, with the field's seed), computed on the legacy server (the start-up check proves
 * both servers hash alike); `SpellingDictionary` maps learnt legacy spellings through them. A field
 * whose legacy codes collide into different new codes keeps the lookup in SQL.
 */
export async function hashMaps(c: Client, spec: DomainSpec, maps: Map<string, Map<string, string>>): Promise<Map<string, HashMap>> {
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
