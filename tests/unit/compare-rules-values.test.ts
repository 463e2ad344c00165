/**
 * The comparison engine's rules of issue 19, values: normalisation per side and code maps that let unknown codes through, each on PostgreSQL and on file sources.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlAt as sql } from '../helpers/db';
import { legacy, next, useCompareDatabases, WINDOW } from '../helpers/compare-databases';
import { differences } from '../helpers/compare-rules';
import { compareDomain, DomainSpec, type CompareResult, type DomainSpecInput } from '../../compare';

// Several comparisons per test: more than the unit default on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

useCompareDatabases('rules');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-rules-values-'));

describe('normalisation per side', () => {
  // [id, code, name, flag, note]
  const legacyRows: (string | null)[][] = [
    ['1', ' A ', 'ＡＢＣ', 'Y', ''], // padded and full-width in legacy only; '' where new has NULL
    ['2', 'b', 'x', 'N', ''], // '' on both sides: legacy reads it as NULL, new keeps '' -> mismatch
    ['3', 'Y', 'y', 'Y', 'z'],
    ['4', ' c', 'n', 'maybe', null], // the new side's padding is not trimmed -> mismatch; 'maybe' is in no map: kept
  ];
  const newRows: (string | null)[][] = [
    ['1', 'A', 'ABC', 'yes', null],
    ['2', 'b', 'x', 'no', ''],
    ['3', 'Y', 'y', 'yes', 'z'],
    ['4', ' c', 'n', 'maybe', null],
  ];
  const spec: DomainSpecInput = {
    name: 'ps',
    key: [{ name: 'id' }],
    fields: [
      { name: 'code', legacyNormalize: { trim: true } },
      { name: 'name', legacyNormalize: { nfkc: true } },
      { name: 'flag', valueMap: { map: 'yesNo', side: 'new' } },
      { name: 'note', legacyNormalize: { emptyAsNull: true } },
    ],
    codeMaps: { yesNo: { kind: 'inline', entries: { yes: 'Y', no: 'N' } } },
  };
  const expectedDiffs = [
    ['["2"]', 'mismatch', 'note', null, ''],
    ['["4"]', 'mismatch', 'code', 'c', ' c'],
  ].map((x) => JSON.stringify(x));

  beforeAll(async () => {
    for (const [db, rows] of [
      [legacy, legacyRows],
      [next, newRows],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS ps');
      await sql(db.url, 'CREATE TABLE ps (id text, code text, name text, flag text, note text)');
      for (const r of rows) await sql(db.url, 'INSERT INTO ps VALUES ($1, $2, $3, $4, $5)', r);
    }
  });

  it("applies a field's side normalisation and value map to that side only (PostgreSQL), in SQL or learnt in Node", async () => {
    // maxDistinct 0: every field normalised in SQL; 100: the probe hands them to Node
    for (const maxDistinct of [0, 100]) {
      const r = await compareDomain({
        spec,
        legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM ps' },
        new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM ps' },
        window: WINDOW,
        resultsUrl: legacy.url,
        spellings: { sampleRows: 1000, maxDistinct },
      });
      expect([r.matched, r.mismatched], String(maxDistinct)).toEqual([2, 2]);
      expect(await differences(r.runId)).toEqual(expectedDiffs);
    }
  });

  it('the same with the legacy side as a CSV export (NULL and "" told apart)', async () => {
    const file = path.join(tmp, 'ps.csv');
    const cell = (v: string | null): string => (v === null ? '' : `"${v}"`);
    writeFileSync(file, ['id,code,name,flag,note', ...legacyRows.map((r) => r.map(cell).join(','))].join('\n') + '\n');
    const r = await compareDomain({
      spec,
      legacy: { kind: 'csv', path: file, nulls: 'unquotedEmpty' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM ps' },
      window: WINDOW,
      resultsUrl: legacy.url,
    });
    expect([r.matched, r.mismatched]).toEqual([2, 2]);
    expect(await differences(r.runId)).toEqual(expectedDiffs);
  });

  it('refuses a value map that is not a code map entry, or on a field with a code map', async () => {
    const base = {
      legacy: { kind: 'postgres' as const, url: legacy.url, query: 'SELECT * FROM ps' },
      new: { kind: 'postgres' as const, url: next.url, query: 'SELECT * FROM ps' },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    await expect(
      compareDomain({ ...base, spec: { ...spec, fields: [{ name: 'flag', valueMap: { map: 'nope', side: 'new' } }] } }),
    ).rejects.toThrow(/unknown value map nope/);
    await expect(
      compareDomain({ ...base, spec: { ...spec, fields: [{ name: 'flag', codeMap: 'yesNo', valueMap: { map: 'yesNo', side: 'new' } }] } }),
    ).rejects.toThrow(/valueMap needs a text field without codeMap/);
  });
});

describe('code maps that let unknown codes through (`unmapped`)', () => {
  // legacy code / new code per row; the map renames A to X and B to Y (one-to-one)
  const rows: [string, string | null, string | null][] = [
    ['1', 'A', 'X'], // mapped, equal
    ['2', 'B', 'Y'], // mapped, equal
    ['3', 'C', 'C'], // not in the map, kept by the new system
    ['4', 'D', 'Z'], // not in the map, different
    ['5', 'A', 'A'], // in the map, but the new system kept the legacy code: a mismatch either way
    ['6', 'C', 'X'], // not in the map, the new side holds a mapped code
    ['7', null, null],
  ];
  const specOf = (unmapped: 'report' | 'pass-through' | undefined, sqlPath: boolean): DomainSpecInput => ({
    name: 'um',
    key: [{ name: 'id' }],
    // A map with a '' code and empty-as-NULL keeps the lookup in SQL; otherwise the code is mapped in Node.
    fields: [{ name: 'code', codeMap: 'codes', ...(sqlPath ? { normalize: { emptyAsNull: true } } : {}) }],
    codeMaps: {
      codes: { kind: 'inline', entries: { A: 'X', B: 'Y', ...(sqlPath ? { '': 'NONE' } : {}) }, ...(unmapped ? { unmapped } : {}) },
    },
  });
  beforeAll(async () => {
    for (const [db, col] of [
      [legacy, 1],
      [next, 2],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS um');
      await sql(db.url, 'CREATE TABLE um (id text, code text)');
      for (const r of rows) await sql(db.url, 'INSERT INTO um VALUES ($1, $2)', [r[0], r[col]]);
    }
  });
  const run = async (
    unmapped: 'report' | 'pass-through' | undefined,
    sqlPath: boolean,
  ): Promise<{ r: CompareResult; diffs: string[]; nodeMapped: boolean }> => {
    const traced: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (traced.push(String(s)), true));
    process.env.COMPARE_TRACE = '1';
    try {
      const r = await compareDomain({
        spec: specOf(unmapped, sqlPath),
        legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM um' },
        new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM um' },
        window: WINDOW,
        resultsUrl: legacy.url,
      });
      return { r, diffs: await differences(r.runId), nodeMapped: traced.some((t) => /Node-mapped fields: .*code/.test(t)) };
    } finally {
      delete process.env.COMPARE_TRACE;
      write.mockRestore();
    }
  };
  const diff = (id: string, kind: string, l: string, n: string): string => JSON.stringify([`["${id}"]`, kind, 'code', l, n]);

  for (const sqlPath of [false, true]) {
    const where = sqlPath ? 'looked up in SQL' : 'mapped in Node';
    it(`reports a code the map does not hold as unmapped_code by default (${where})`, async () => {
      for (const unmapped of [undefined, 'report'] as const) {
        const { r, diffs, nodeMapped } = await run(unmapped, sqlPath);
        expect(nodeMapped).toBe(!sqlPath);
        expect({
          matched: r.matched,
          mismatched: r.mismatched,
          unmappedCodes: r.unmappedCodes,
          mismatches: r.fieldMismatches.code,
        }).toEqual({ matched: 3, mismatched: 4, unmappedCodes: 3, mismatches: 1 });
        expect(diffs).toEqual(
          [
            diff('3', 'unmapped_code', 'C', 'C'),
            diff('4', 'unmapped_code', 'D', 'Z'),
            diff('5', 'mismatch', 'A', 'A'),
            diff('6', 'unmapped_code', 'C', 'X'),
          ].sort(),
        );
      }
    });

    it(`'pass-through' compares a code the map does not hold unchanged (${where})`, async () => {
      const { r, diffs, nodeMapped } = await run('pass-through', sqlPath);
      expect(nodeMapped).toBe(!sqlPath);
      expect({ matched: r.matched, mismatched: r.mismatched, unmappedCodes: r.unmappedCodes, mismatches: r.fieldMismatches.code }).toEqual({
        matched: 4,
        mismatched: 3,
        unmappedCodes: 0,
        mismatches: 3,
      });
      // row 5: a renamed code kept by the new system is still a mismatch (no reverse lookup lets A = A through)
      expect(diffs).toEqual([diff('4', 'mismatch', 'D', 'Z'), diff('5', 'mismatch', 'A', 'A'), diff('6', 'mismatch', 'C', 'X')].sort());
    });
  }

  it('the spec takes report (the default) or pass-through, nothing else', () => {
    expect(DomainSpec.parse(specOf(undefined, false)).codeMaps.codes!.unmapped).toBe('report');
    expect(DomainSpec.parse(specOf('pass-through', false)).codeMaps.codes!.unmapped).toBe('pass-through');
    const bad = DomainSpec.safeParse({
      ...specOf(undefined, false),
      codeMaps: { codes: { kind: 'inline', entries: {}, unmapped: 'ignore' } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['codeMaps', 'codes', 'unmapped']);
  });
});
