/** The comparison engine's fast paths (fixed offsets, instant hashes, ASCII and NFKC shortcuts, spellings learnt in Node) give the exact answer. */
import { describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { legacy, next, results, useCompareDatabases, WINDOW } from '../helpers/compare-databases';
import { sqlAt as sql } from '../helpers/db';
import { compareDomain, type CompareResult } from '../../compare';
import { instantHash } from '../../compare/sql/traits';

useCompareDatabases('cmp');

/** Run `f` with COMPARE_TRACE on; the engine's trace lines (field names and counts only) are returned with its result. */
async function withTrace<T>(f: () => Promise<T>): Promise<{ result: T; trace: string }> {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.env.COMPARE_TRACE = '1';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string' || !chunk.startsWith('[compare] ')) return write(chunk, ...rest);
    lines.push(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const result = await f();
    return { result, trace: lines.join('') };
  } finally {
    process.stderr.write = write;
    delete process.env.COMPARE_TRACE;
  }
}

describe('comparison engine: exact on the fast paths', () => {
  it('converts naive timestamps by a fixed offset inside the window and by the zone rules elsewhere', async () => {
    await sql(legacy.url, 'DROP TABLE IF EXISTS tz_charges');
    await sql(legacy.url, 'CREATE TABLE tz_charges (id text, booked_at timestamp)');
    await sql(next.url, 'DROP TABLE IF EXISTS tz_charges');
    await sql(next.url, 'CREATE TABLE tz_charges (id text, booked_at timestamptz)');
    const rows: [string, string, string][] = [
      ['S1', '2024-03-01 10:00:00', '2024-03-01 02:00:00+00'], // Shanghai, inside the window
      ['S2', '2023-07-01 10:00:00', '2023-07-01 02:00:00+00'], // far outside the window: zone rules
      ['S3', '2023-07-01 10:00:00', '2023-07-01 03:00:00+00'], // differs by one hour
      ['B1', '2024-03-31 01:30:00', '2024-03-31 00:30:00+00'], // Berlin, before the switch to summer time (+01)
      ['B2', '2024-03-31 03:30:00', '2024-03-31 01:30:00+00'], // after it (+02)
      ['B3', '2024-03-31 03:30:00', '2024-03-31 02:30:00+00'], // +01 applied after the switch: differs
    ];
    for (const [id, l, n] of rows) {
      await sql(legacy.url, 'INSERT INTO tz_charges VALUES ($1, $2)', [id, l]);
      await sql(next.url, 'INSERT INTO tz_charges VALUES ($1, $2)', [id, n]);
    }
    const run = (prefix: string, timeZone: string, window: { from: string; to: string }) =>
      compareDomain({
        spec: { name: 'tz', key: [{ name: 'id' }], fields: [{ name: 'booked_at', type: 'timestamp', timeZone }] },
        legacy: { kind: 'postgres', url: legacy.url, query: `SELECT * FROM tz_charges WHERE id LIKE '${prefix}%'` },
        new: { kind: 'postgres', url: next.url, query: `SELECT * FROM tz_charges WHERE id LIKE '${prefix}%'` },
        window,
        resultsUrl: results.url,
      });
    const shanghai = await run('S', 'Asia/Shanghai', WINDOW);
    expect([shanghai.matched, shanghai.mismatched, shanghai.fieldMismatches.booked_at]).toEqual([2, 1, 1]);
    // the offset changes inside this window, so every value takes the zone rules
    const berlin = await run('B', 'Europe/Berlin', { from: '2024-03-30T00:00:00+01:00', to: '2024-04-01T00:00:00+02:00' });
    expect([berlin.matched, berlin.mismatched, berlin.fieldMismatches.booked_at]).toEqual([2, 1, 1]);
  });

  it('hashes an instant alike on servers with and without timestamptz_hash_extended (PostgreSQL 14 and 15)', async () => {
    // a server before 16 hashes the UTC wall-clock timestamp: the same 64-bit number, whatever
    // the session's zone
    const c = new Client({ connectionString: legacy.url });
    await c.connect();
    try {
      await c.query(`SET TimeZone = 'Asia/Kolkata'`);
      const instants = [
        '2024-03-01 00:00:00+08',
        '1999-12-31 23:59:59.999999+00',
        '2024-03-31 01:30:00+01',
        '1970-01-01 00:00:00+00',
        '2100-06-30 12:00:00.5-09:30',
      ];
      for (const seed of [7, 1016]) {
        const v = `x.t`;
        const r = await c.query<{ a: string | null; b: string | null }>(
          `SELECT ${instantHash({ timestamptzHash: true }, v, seed)}::text AS a, ${instantHash({ timestamptzHash: false }, v, seed)}::text AS b
           FROM unnest($1::timestamptz[] || ARRAY[NULL::timestamptz]) AS x(t)`,
          [instants],
        );
        expect(r.rows).toHaveLength(instants.length + 1);
        for (const row of r.rows) expect(row.b).toBe(row.a);
        expect(new Set(r.rows.map((x) => x.a)).size).toBe(instants.length + 1);
      }
    } finally {
      await c.end();
    }
  });

  it('normalises and maps codes exactly on the fast paths (ASCII, NFKC-clean, Node-side code maps)', async () => {
    const ddl = 'CREATE TABLE fast_charges (id text, code text, name text, op text, code2 text)';
    // [id, code, name, op, code2]: legacy row, new row
    const rows: [string, (string | null)[], (string | null)[]][] = [
      ['F1', [' d01 ', '王伟\u3000', 'ｏｐ１', 'A'], ['INT-MED', '王伟', 'OP1', 'X']], // trim+case before the map, NFKC, many-to-one
      ['F2', [null, '', 'op2', 'B'], [null, null, 'OP2', 'X']], // NULL code, '' vs NULL
      ['F3', ['', 'ﬁle', 'Op3 ', 'C'], [null, 'file', 'OP3', 'Y']], // '' code vs NULL, a ligature (non-ASCII, not NFKC)
      ['F4', ['D09', 'a', 'op4', 'A'], ['LAB', 'a', 'OP4', 'X']], // unmapped
      ['F5', ['D02', 'a', 'op5', 'A'], ['INT-MED', 'a', 'OP5', 'X']], // mapped code differs
      ['F6', ['D01', 'a', 'op6', 'A'], ['INT-MED', 'a', 'OP6', 'Y']], // many-to-one code differs
      ['F7', ['D01', 'a', 'op7', 'A'], ['INT-MED', 'a', 'OP8', 'X']], // ASCII value differs after case folding
    ];
    for (const [db, side] of [
      [legacy, 1],
      [next, 2],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS fast_charges');
      await sql(db.url, ddl);
      for (const r of rows) await sql(db.url, 'INSERT INTO fast_charges VALUES ($1, $2, $3, $4, $5)', [r[0], ...r[side]]);
    }
    const run = (codes: Record<string, string>) =>
      compareDomain({
        spec: {
          name: 'fast',
          key: [{ name: 'id' }],
          fields: [
            { name: 'code', codeMap: 'm', normalize: { case: 'upper' } }, // keeps the defaults' trim and emptyAsNull
            { name: 'name', normalize: { nfkc: true } },
            { name: 'op', normalize: { nfkc: true, case: 'upper' } },
            { name: 'code2', codeMap: 'many' },
          ],
          codeMaps: { m: { kind: 'inline', entries: codes }, many: { kind: 'inline', entries: { A: 'X', B: 'X', C: 'Y' } } },
          defaults: { normalize: { trim: true, emptyAsNull: true } },
        },
        legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM fast_charges' },
        new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM fast_charges' },
        window: WINDOW,
        resultsUrl: results.url,
      });
    // a '' code in the map (unreachable with emptyAsNull) sends the field back to the lookup in SQL
    const maps: Record<string, string>[] = [
      { D01: 'INT-MED', D02: 'LAB' },
      { '': 'NONE', D01: 'INT-MED', D02: 'LAB' },
    ];
    for (const codes of maps) {
      const r = await run(codes);
      expect([r.matched, r.mismatched, r.unmappedCodes, r.differingKeys]).toEqual([3, 4, 1, 4]);
      expect(r.fieldMismatches).toEqual({ code: 1, name: 0, op: 1, code2: 1 });
      expect(r.unmappedByField).toEqual({ code: 1 });
    }
  });

  it('learns code spellings from a sample or from the re-check and still finds the differences met after', async () => {
    // 6000 rows with four legacy spellings of two codes: learnt from the sides' first rows before
    // the stream, or (a 1-row sample) from the re-check of the first rows that have them, later
    // rows being matched by the dictionary; differences are planted after that.
    const legacyCode = `CASE WHEN i = 4001 THEN 'D77' ELSE (ARRAY[' d01 ', 'D01', 'd02', 'D02 '])[1 + i % 4] END`;
    const newCode = `CASE WHEN i = 3000 THEN 'LAB' WHEN i = 4500 THEN NULL WHEN i % 4 < 2 THEN 'INT-MED' ELSE 'lab' END`;
    for (const [db, code] of [
      [legacy, legacyCode],
      [next, newCode],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS learn_charges');
      await sql(
        db.url,
        `CREATE TABLE learn_charges AS SELECT 'K' || lpad(i::text, 5, '0') AS id, ${code} AS code FROM generate_series(1, 6000) AS g(i)`,
      );
    }
    const rechecked: number[] = [];
    for (const sampleRows of [50_000, 1]) {
      const { result: r, trace } = await withTrace(() =>
        compareDomain({
          spec: {
            name: 'learn',
            key: [{ name: 'id' }],
            fields: [{ name: 'code', codeMap: 'm', normalize: { case: 'upper' } }],
            codeMaps: { m: { kind: 'inline', entries: { D01: 'INT-MED', D02: 'LAB' } } },
            defaults: { normalize: { trim: true, emptyAsNull: true } },
          },
          legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM learn_charges' },
          new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM learn_charges' },
          window: WINDOW,
          resultsUrl: results.url,
          spellings: { sampleRows, maxDistinct: 2000 },
        }),
      );
      expect([r.matched, r.mismatched, r.unmappedCodes, r.differingKeys]).toEqual([5997, 3, 1, 3]);
      expect(r.fieldMismatches).toEqual({ code: 2 });
      const d = await sql(results.url, `SELECT key::text, kind FROM comparison_difference WHERE run_id = $1 ORDER BY key`, [r.runId]);
      expect(d.rows).toEqual([
        { key: '["K03000"]', kind: 'mismatch' },
        { key: '["K04001"]', kind: 'unmapped_code' },
        { key: '["K04500"]', kind: 'mismatch' },
      ]);
      rechecked.push(Number(/recheck \((\d+) keys re-checked\)/.exec(trace)?.[1]));
    }
    // every spelling in the sample: only the three differing keys are re-checked (the unmapped
    // legacy code is never learnt); a 1-row sample leaves the spellings to the re-check
    expect(rechecked[0]).toBe(3);
    expect(rechecked[1]).toBeGreaterThan(3);
  });

  it('learns spellings of few-valued text fields, stays exact for late new spellings and for fields over the threshold', async () => {
    // status: four spellings per side in the first 1000 rows (the probe's sample), learnt from
    // the re-check; new spellings appear only after row 5000 (one equal after NFKC/trim/case, one
    // different, a NULL vs ''). name: a distinct value per row, over the threshold: SQL path.
    const legacyStatus = `CASE WHEN i = 5001 THEN 'Ｎｅｗ　' WHEN i = 5002 THEN ' paid' WHEN i = 5003 THEN NULL
      ELSE (ARRAY['new', ' NEW', 'Billed ', 'BILLED'])[1 + i % 4] END`;
    const newStatus = `CASE WHEN i = 5002 THEN 'VOID' WHEN i = 5003 THEN '' WHEN i % 4 < 2 THEN 'NEW' ELSE 'BILLED' END`;
    const legacyName = `CASE WHEN i = 5200 THEN 'n9999' ELSE (CASE WHEN i % 2 = 0 THEN 'n' ELSE 'Ｎ' END) || i || ' ' END`;
    const newName = `'N' || i`;
    for (const [db, status, name] of [
      [legacy, legacyStatus, legacyName],
      [next, newStatus, newName],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS spell_charges');
      await sql(
        db.url,
        `CREATE TABLE spell_charges AS SELECT 'K' || lpad(i::text, 5, '0') AS id, ${status} AS status, ${name} AS name FROM generate_series(1, 6000) AS g(i)`,
      );
    }
    const run = (maxDistinct: number): Promise<{ result: CompareResult; trace: string }> =>
      withTrace(() =>
        compareDomain({
          spec: {
            name: 'spell',
            key: [{ name: 'id' }],
            fields: [
              { name: 'status', normalize: { nfkc: true, case: 'upper' } },
              { name: 'name', normalize: { nfkc: true, case: 'upper' } },
            ],
            defaults: { normalize: { trim: true, emptyAsNull: true } },
          },
          legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM spell_charges' },
          new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM spell_charges' },
          window: WINDOW,
          resultsUrl: results.url,
          spellings: { sampleRows: 1000, maxDistinct },
        }),
      );
    // 100: status (4 spellings in the sample) learnt in Node, name (1000) over it; 0: both in SQL
    for (const [maxDistinct, mapped] of [
      [100, 'status'],
      [0, ''],
    ] as const) {
      const { result: r, trace } = await run(maxDistinct);
      expect(trace).toMatch(new RegExp(`Node-mapped fields: ${mapped} \\+`));
      expect([r.matched, r.mismatched, r.differingKeys]).toEqual([5998, 2, 2]);
      expect(r.fieldMismatches).toEqual({ status: 1, name: 1 });
      const d = await sql(
        results.url,
        `SELECT key::text, field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1 ORDER BY key`,
        [r.runId],
      );
      expect(d.rows).toEqual([
        { key: '["K05002"]', field: 'status', legacy_value: 'PAID', new_value: 'VOID' },
        { key: '["K05200"]', field: 'name', legacy_value: 'N9999', new_value: 'N5200' },
      ]);
    }
  });
});
