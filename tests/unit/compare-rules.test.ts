/**
 * The comparison engine's rules of issue 19: no row lost whatever the split into key ranges, and
 * the rules an integrator is given (invalid keys, ...), each on PostgreSQL and on file sources.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, sqlAt, type TestDatabase } from '../helpers/db';
import { compareDomain, DomainSpec, keyRanges, type CompareInput, type CompareResult, type DomainSpecInput } from '../../compare';

// Several comparisons per test (every split of a run): more than the unit default on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

let legacy: TestDatabase;
let next: TestDatabase;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-rules-'));
const WINDOW = { from: '2024-03-01T00:00:00+08:00', to: '2024-03-02T00:00:00+08:00' };

const sql = sqlAt;

beforeAll(async () => {
  legacy = await freshDatabase('rules_legacy');
  next = await freshDatabase('rules_new');
}, 60_000);

afterAll(async () => {
  for (const d of [legacy, next]) await d?.close();
});

const COUNTS = [
  'rowsLegacy',
  'rowsNew',
  'distinctKeys',
  'matched',
  'missingInLegacy',
  'missingInNew',
  'mismatched',
  'duplicateKeysLegacy',
  'duplicateKeysNew',
  'invalidKeysLegacy',
  'invalidKeysNew',
  'differingKeys',
  'differences',
] as const;

function counts(r: CompareResult): Record<string, number> {
  return Object.fromEntries(COUNTS.map((k) => [k, r[k]]));
}

/** A run's differences as sorted text lines (key, kind, field, values). */
async function differences(runId: string): Promise<string[]> {
  const d = await sql(legacy.url, `SELECT key::text, kind, field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1`, [
    runId,
  ]);
  return d.rows.map((r) => JSON.stringify([r.key, r.kind, r.field, r.legacy_value, r.new_value])).sort();
}

/** The same comparison at parallelism 1, 2 and 4 and over the legacy side's explicit key ranges: one result. */
async function everySplit(base: CompareInput): Promise<{ results: Record<string, number>[]; diffs: string[][] }> {
  const results: Record<string, number>[] = [];
  const diffs: string[][] = [];
  for (const parallelism of [1, 2, 4]) {
    const r = await compareDomain({ ...base, parallelism });
    results.push(counts(r));
    diffs.push(await differences(r.runId));
  }
  for (const n of [2, 3]) {
    const ranges = await keyRanges({ spec: base.spec, source: base.legacy as never, window: base.window, resultsUrl: base.resultsUrl }, n);
    expect(ranges.length).toBeGreaterThan(1);
    const parts: CompareResult[] = [];
    for (const keyRange of ranges) parts.push(await compareDomain({ ...base, keyRange, parallelism: 2 }));
    results.push(Object.fromEntries(COUNTS.map((k) => [k, parts.reduce((a, p) => a + p[k], 0)])));
    diffs.push((await Promise.all(parts.map((p) => differences(p.runId)))).flat().sort());
  }
  return { results, diffs };
}

describe('rows whose first key column is NULL, whatever the split', () => {
  const spec: DomainSpecInput = { name: 'nk', key: [{ name: 'id' }], fields: [{ name: 'v' }] };
  beforeAll(async () => {
    // ~1,000 equal keys on both sides; a NULL key on the legacy side (it used to turn the split
    // off: its maximum came back NULL) and two on the new side (they used to vanish in a split)
    for (const [db, nulls] of [
      [legacy, 1],
      [next, 2],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS nk');
      await sql(db.url, `CREATE TABLE nk AS SELECT 'K' || lpad(i::text, 4, '0') AS id, 'v' || i AS v FROM generate_series(1, 1000) g(i)`);
      await sql(db.url, `INSERT INTO nk SELECT NULL, 'n' || i FROM generate_series(1, ${nulls}) g(i)`);
      await sql(db.url, 'CREATE INDEX ON nk (id COLLATE "C")');
    }
  });

  it('reports them identically at parallelism 1, 2 and 4 and over explicit key ranges', async () => {
    const base: CompareInput = {
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM nk' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM nk' },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    const { results, diffs } = await everySplit(base);
    // each NULL-key row is an invalid key of its own: never matched, never a duplicate
    const expected = {
      rowsLegacy: 1001,
      rowsNew: 1002,
      distinctKeys: 1003,
      matched: 1000,
      missingInLegacy: 0,
      missingInNew: 0,
      mismatched: 0,
      duplicateKeysLegacy: 0,
      duplicateKeysNew: 0,
      invalidKeysLegacy: 1,
      invalidKeysNew: 2,
      differingKeys: 3,
      differences: 2,
    };
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(diffs[0]);
    expect(diffs[0]).toEqual([
      JSON.stringify(['[null]', 'invalid_key', null, '1', null]),
      JSON.stringify(['[null]', 'invalid_key', null, null, '2']),
    ]);
  });

  it('from a CSV export too (an empty key is a NULL key in a file)', async () => {
    const file = path.join(tmp, 'nk.csv');
    const rows = Array.from({ length: 1000 }, (_, i) => `K${String(i + 1).padStart(4, '0')},v${i + 1}`);
    writeFileSync(file, ['id,v', ...rows, ',n1', ',n2'].join('\n') + '\n');
    const base: CompareInput = {
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM nk' },
      new: { kind: 'csv', path: file },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    const { results, diffs } = await everySplit(base);
    for (const r of results) expect(r).toEqual(results[0]);
    for (const d of diffs) expect(d).toEqual(diffs[0]);
    expect(results[0]).toMatchObject({
      rowsLegacy: 1001,
      rowsNew: 1002,
      matched: 1000,
      invalidKeysLegacy: 1,
      invalidKeysNew: 2,
      differingKeys: 3,
    });
  });

  it("fails the run loudly when the ranges do not add up to the side's rows", async () => {
    // A source that gives another read other rows (here: the NULL-key rows to a plain SELECT,
    // not to a COPY) is one whose ranges cannot add up to its count.
    const r = compareDomain({
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: `SELECT * FROM nk WHERE id IS NOT NULL OR current_query() NOT LIKE 'COPY%'` },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM nk' },
      window: WINDOW,
      resultsUrl: legacy.url,
      parallelism: 2,
    });
    await expect(r).rejects.toMatchObject({ code: 'RANGE_ROWS' });
    const run = await sql(
      legacy.url,
      `SELECT count(*)::int AS n FROM comparison_run WHERE status = 'failed' AND error_code = 'RANGE_ROWS'`,
    );
    expect(run.rows[0]?.n).toBe(1);
  });
});

describe('invalid keys: a NULL (files: empty) key column', () => {
  const spec: DomainSpecInput = { name: 'ik', key: [{ name: 'visit' }, { name: 'line' }], fields: [{ name: 'v' }] };
  // [visit, line, v]: legacy rows, new rows
  const legacyRows: (string | null)[][] = [
    ['V1', '1', 'a'], // matched
    ['V1', null, 'a'], // invalid on both sides with the same partial key: never matched
    ['V2', null, 'b'], // two legacy rows with one invalid key: not a duplicate
    ['V2', null, 'b'],
    ['V3', '1', 'c'], // a valid key here, an invalid one in the new system
    ['V4', '1', 'd'], // field mismatch (still counted as before)
  ];
  const newRows: (string | null)[][] = [
    ['V1', '1', 'a'],
    ['V1', null, 'a'],
    [null, '1', 'c'],
    ['V4', '1', 'x'],
  ];
  const expected = {
    rowsLegacy: 6,
    rowsNew: 4,
    matched: 1,
    missingInLegacy: 0,
    missingInNew: 1,
    mismatched: 1,
    duplicateKeysLegacy: 0,
    duplicateKeysNew: 0,
    invalidKeysLegacy: 3,
    invalidKeysNew: 2,
    // V1/1, V3/1, V4/1 and one per invalid row
    distinctKeys: 3 + 5,
    differingKeys: 2 + 5,
    differences: 6,
  };
  const expectedDiffs = [
    ['["V1", null]', 'invalid_key', null, '1', null],
    ['["V1", null]', 'invalid_key', null, null, '1'],
    ['["V2", null]', 'invalid_key', null, '2', null],
    ['["V3", "1"]', 'missing_in_new', null, null, null],
    ['["V4", "1"]', 'mismatch', 'v', 'd', 'x'],
    ['[null, "1"]', 'invalid_key', null, null, '1'],
  ]
    .map((x) => JSON.stringify(x))
    .sort();

  beforeAll(async () => {
    for (const [db, rows] of [
      [legacy, legacyRows],
      [next, newRows],
    ] as const) {
      await sql(db.url, 'DROP TABLE IF EXISTS ik');
      await sql(db.url, 'CREATE TABLE ik (visit text, line text, v text)');
      for (const r of rows) await sql(db.url, 'INSERT INTO ik VALUES ($1, $2, $3)', r);
    }
  });

  it('reports each on its side, never matched, never a duplicate, never dropped (PostgreSQL), and the thresholds count them', async () => {
    const base: CompareInput = {
      spec,
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM ik' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM ik' },
      window: WINDOW,
      resultsUrl: legacy.url,
      thresholds: { warning: { count: 2 }, critical: { count: 6 } },
    };
    const { results, diffs } = await everySplit(base);
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(expectedDiffs);
    const r = await compareDomain(base);
    // 7 differing keys, 5 of them invalid: critical (above 6), where the other categories alone would be a warning
    expect(r.status).toBe('critical');
    expect(r.mismatchRate).toBeCloseTo(7 / 8, 10);
    const run = await sql(legacy.url, 'SELECT outcomes, differing_keys::int AS d FROM comparison_run WHERE id = $1', [r.runId]);
    expect(run.rows[0]).toEqual({ outcomes: { invalidKeysLegacy: 3, invalidKeysNew: 2, ambiguousTimes: 0, recheckedInFlight: 0 }, d: 7 });
  });

  it('files: an empty key cell is an invalid key (CSV and NDJSON)', async () => {
    const csv = path.join(tmp, 'ik.csv');
    writeFileSync(csv, ['visit,line,v', ...legacyRows.map((r) => r.map((x) => x ?? '').join(','))].join('\n') + '\n');
    const ndjson = path.join(tmp, 'ik.ndjson');
    // NDJSON: null and "" alike
    writeFileSync(
      ndjson,
      newRows.map((r, i) => JSON.stringify({ visit: r[0] ?? (i % 2 ? null : ''), line: r[1] ?? '', v: r[2] })).join('\n') + '\n',
    );
    const base: CompareInput = {
      spec,
      legacy: { kind: 'csv', path: csv },
      new: { kind: 'ndjson', path: ndjson },
      window: WINDOW,
      resultsUrl: legacy.url,
    };
    const { results, diffs } = await everySplit(base);
    for (const r of results) expect(r).toEqual(expected);
    for (const d of diffs) expect(d).toEqual(expectedDiffs);
  });
});

describe('ambiguous local times: the repeated and the skipped hour', () => {
  // Berlin's 25-hour day 2024-10-27: 02:00-03:00 local happens twice (+02, then +01); on
  // 2024-03-31 02:00-03:00 does not exist. [id, legacy naive local time, new instant]
  const rows: [string, string, string][] = [
    ['A1', '2024-10-27 02:30:00', '2024-10-27 00:30:00+00'], // the first 02:30 (summer time)
    ['A2', '2024-10-27 02:30:00', '2024-10-27 01:30:00+00'], // the second 02:30 (standard time)
    ['A3', '2024-10-27 12:00:00', '2024-10-27 11:00:00+00'], // an ordinary time that day
    ['A4', '2024-10-26 23:59:59.5', '2024-10-26 21:59:59.5+00'], // before the switch, within a day of it
    ['G1', '2024-03-31 02:30:00', '2024-03-31 01:30:00+00'], // skipped: the server would read 03:30 +02
    ['S1', '2024-07-01 12:00:00', '2024-07-01 10:00:00+00'], // summer: the fixed-offset path in a July window
  ];
  const WINDOW_25H = { from: '2024-10-27T00:00:00+02:00', to: '2024-10-28T00:00:00+01:00' };
  const fieldSpec = (ambiguousTime?: 'earlier' | 'later' | 'wall'): DomainSpecInput => ({
    name: 'amb',
    key: [{ name: 'id' }],
    fields: [
      {
        name: 'at',
        type: 'timestamp',
        timeZone: 'Europe/Berlin',
        timestampPrecision: 'second',
        ...(ambiguousTime ? { ambiguousTime } : {}),
      },
    ],
  });
  // per setting: the keys that mismatch and those reported as ambiguous_time
  const expected: ['earlier' | 'later' | 'wall' | undefined, string[], string[]][] = [
    [undefined, ['A1'], []], // today: the server's choice (the later 02:30), the skipped time shifted silently
    ['earlier', ['A2'], ['G1']],
    ['later', ['A1'], ['G1']],
    ['wall', [], ['G1']],
  ];
  const outcome = async (r: CompareResult): Promise<[string[], string[]]> => {
    const d = await sql(legacy.url, `SELECT key->>0 AS k, kind FROM comparison_difference WHERE run_id = $1 ORDER BY 1`, [r.runId]);
    return [
      d.rows.filter((x) => x.kind === 'mismatch').map((x) => x.k as string),
      d.rows.filter((x) => x.kind === 'ambiguous_time').map((x) => x.k as string),
    ];
  };

  beforeAll(async () => {
    await sql(legacy.url, 'DROP TABLE IF EXISTS amb');
    await sql(legacy.url, 'CREATE TABLE amb (id text, at timestamp)');
    await sql(next.url, 'DROP TABLE IF EXISTS amb');
    await sql(next.url, 'CREATE TABLE amb (id text, at timestamptz)');
    for (const [id, l, n] of rows) {
      await sql(legacy.url, 'INSERT INTO amb VALUES ($1, $2)', [id, l]);
      await sql(next.url, 'INSERT INTO amb VALUES ($1, $2)', [id, n]);
    }
  });

  it('resolves the repeated hour as configured and reports the skipped one (PostgreSQL)', async () => {
    for (const [choice, mismatched, ambiguous] of expected) {
      const r = await compareDomain({
        spec: fieldSpec(choice),
        legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM amb' },
        new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM amb' },
        window: WINDOW_25H,
        resultsUrl: legacy.url,
      });
      expect(await outcome(r), String(choice)).toEqual([mismatched, ambiguous]);
      expect(r.ambiguousTimes).toBe(ambiguous.length);
      expect(r.mismatched).toBe(mismatched.length + ambiguous.length);
      expect(r.matched).toBe(rows.length - mismatched.length - ambiguous.length);
      // a window with a fixed offset around it (July): its values take the shortcut, the others the rules
      const july = await compareDomain({
        spec: fieldSpec(choice),
        legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM amb' },
        new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM amb' },
        window: { from: '2024-07-01T00:00:00+02:00', to: '2024-07-02T00:00:00+02:00' },
        resultsUrl: legacy.url,
      });
      expect(await outcome(july), `${String(choice)} in July`).toEqual([mismatched, ambiguous]);
    }
    // both sides naive: a skipped time on both is still reported, never matched with itself
    const both = await compareDomain({
      spec: fieldSpec('earlier'),
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM amb' },
      new: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM amb' },
      window: WINDOW_25H,
      resultsUrl: legacy.url,
    });
    expect(await outcome(both)).toEqual([[], ['G1']]);
    const d = await sql(legacy.url, `SELECT field, legacy_value, new_value FROM comparison_difference WHERE run_id = $1`, [both.runId]);
    expect(d.rows).toEqual([
      {
        field: 'at',
        legacy_value: 'nonexistent local time 2024-03-31T02:30:00.000000',
        new_value: 'nonexistent local time 2024-03-31T02:30:00.000000',
      },
    ]);
  });

  it('the same from a CSV export of naive local times against NDJSON instants', async () => {
    const csv = path.join(tmp, 'amb.csv');
    writeFileSync(csv, ['id,at', ...rows.map(([id, l]) => `${id},${l}`)].join('\r\n') + '\r\n');
    const ndjson = path.join(tmp, 'amb.ndjson');
    writeFileSync(ndjson, rows.map(([id, , n]) => JSON.stringify({ id, at: n })).join('\n') + '\n');
    for (const [choice, mismatched, ambiguous] of expected) {
      const r = await compareDomain({
        spec: fieldSpec(choice),
        legacy: { kind: 'csv', path: csv },
        new: { kind: 'ndjson', path: ndjson },
        window: WINDOW_25H,
        resultsUrl: legacy.url,
      });
      expect(await outcome(r), String(choice)).toEqual([mismatched, ambiguous]);
    }
  });

  it('refuses ambiguousTime on a field that is not a timestamp', async () => {
    const bad = compareDomain({
      spec: { name: 'x', key: [{ name: 'id' }], fields: [{ name: 'at', type: 'text', ambiguousTime: 'earlier' }] },
      legacy: { kind: 'postgres', url: legacy.url, query: 'SELECT * FROM amb' },
      new: { kind: 'postgres', url: next.url, query: 'SELECT * FROM amb' },
      window: WINDOW_25H,
      resultsUrl: legacy.url,
    });
    await expect(bad).rejects.toThrow(/ambiguousTime needs the timestamp type/);
  });
});

describe('files as faithful as tables', () => {
  // legacy: a zero-padded text sequence, NULL and '' notes, CRLF / CR line breaks (exported on
  // another system), one sequence that is not a number; new: smallint, LF line breaks
  const legacyRows: [string, string | null, string][] = [
    ['000001', null, 'a\r\nb'],
    ['000002', '', 'c\rd'],
    ['000003', 'x', 'e\nf'],
    ['0000x4', 'y', 'g'],
  ];
  const newRows: [number, string | null, string][] = [
    [1, null, 'a\nb'],
    [2, '', 'c\nd'],
    [3, 'x', 'e\r\nf'],
  ];
  const spec = (o: { keyType?: boolean; lineBreaks?: boolean } = {}): DomainSpecInput => ({
    name: 'ff',
    key: [{ name: 'seq', ...(o.keyType ? { type: 'integer' as const } : {}) }],
    fields: [{ name: 'note' }, { name: 'memo', ...(o.lineBreaks ? { normalize: { lineBreaks: true } } : {}) }],
  });
  const BOM = '\uFEFF';
  const csvCell = (v: string | null, quoteEmpty: boolean): string =>
    v === null ? '' : v === '' ? (quoteEmpty ? '""' : '') : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  let csv: string;
  let ndjson: string;

  beforeAll(async () => {
    await sql(legacy.url, 'DROP TABLE IF EXISTS ff');
    await sql(legacy.url, 'CREATE TABLE ff (seq text, note text, memo text)');
    for (const r of legacyRows) await sql(legacy.url, 'INSERT INTO ff VALUES ($1, $2, $3)', r);
    await sql(next.url, 'DROP TABLE IF EXISTS ff');
    await sql(next.url, 'CREATE TABLE ff (seq smallint, note text, memo text)');
    for (const r of newRows) await sql(next.url, 'INSERT INTO ff VALUES ($1, $2, $3)', r);
    // the legacy export: a BOM, CRLF records, "" for '' and nothing for NULL
    csv = path.join(tmp, 'ff.csv');
    writeFileSync(
      csv,
      BOM + ['seq,note,memo', ...legacyRows.map(([k, n, m]) => [k, csvCell(n, true), csvCell(m, true)].join(','))].join('\r\n') + '\r\n',
    );
    ndjson = path.join(tmp, 'ff.ndjson');
    writeFileSync(ndjson, BOM + newRows.map(([seq, note, memo]) => JSON.stringify({ seq, note, memo })).join('\n') + '\n');
  });

  const run = (legacySource: CompareInput['legacy'], newSource: CompareInput['new'], o: { keyType?: boolean; lineBreaks?: boolean }) =>
    compareDomain({ spec: spec(o), legacy: legacySource, new: newSource, window: WINDOW, resultsUrl: legacy.url });
  const pgLegacy = (): CompareInput['legacy'] => ({ kind: 'postgres', url: legacy.url, query: 'SELECT * FROM ff' });
  const pgNew = (): CompareInput['new'] => ({ kind: 'postgres', url: next.url, query: 'SELECT * FROM ff' });

  it('a key typed integer on one side matches a zero-padded text with a smallint; a non-number is an invalid key (PostgreSQL)', async () => {
    const text = await run(pgLegacy(), pgNew(), { lineBreaks: true });
    expect([text.matched, text.missingInNew, text.missingInLegacy]).toEqual([0, 4, 3]);
    // `type` on a key with an integer column on the other side: declared for both, as one side's type
    for (const key of [
      { name: 'seq', legacyType: 'integer' as const },
      { name: 'seq', type: 'integer' as const },
    ]) {
      const r = await compareDomain({
        spec: { ...spec({ lineBreaks: true }), key: [key] },
        legacy: pgLegacy(),
        new: pgNew(),
        window: WINDOW,
        resultsUrl: legacy.url,
      });
      expect([r.matched, r.invalidKeysLegacy, r.missingInNew, r.missingInLegacy, r.mismatched]).toEqual([3, 1, 0, 0, 0]);
    }
  });

  it('CRLF, CR and LF line breaks compare equal with lineBreaks, and differ without (PostgreSQL)', async () => {
    const without = await run(pgLegacy(), pgNew(), { keyType: true });
    expect([without.matched, without.mismatched, without.fieldMismatches]).toEqual([0, 3, { note: 0, memo: 3 }]);
    const withIt = await run(pgLegacy(), pgNew(), { keyType: true, lineBreaks: true });
    expect([withIt.matched, withIt.mismatched]).toEqual([3, 0]);
  });

  it('a CSV export with a BOM and CRLF records tells NULL from "" when told to, against PostgreSQL and NDJSON', async () => {
    for (const newSource of [pgNew(), { kind: 'ndjson' as const, path: ndjson }]) {
      const faithful = await run({ kind: 'csv', path: csv, nulls: 'unquotedEmpty' }, newSource, { keyType: true, lineBreaks: true });
      expect([faithful.matched, faithful.mismatched, faithful.invalidKeysLegacy, faithful.rowsLegacy]).toEqual([3, 0, 1, 4]);
      // by default a CSV has no NULL: the NULL note of 000001 is '' there, a mismatch
      const plain = await run({ kind: 'csv', path: csv }, newSource, { keyType: true, lineBreaks: true });
      expect([plain.matched, plain.mismatched, plain.fieldMismatches]).toEqual([2, 1, { note: 1, memo: 0 }]);
      const d = await sql(
        legacy.url,
        `SELECT key::text, legacy_value, new_value FROM comparison_difference WHERE run_id = $1 AND kind = 'mismatch'`,
        [plain.runId],
      );
      expect(d.rows).toEqual([{ key: '["1"]', legacy_value: '', new_value: null }]);
    }
  });

  it('the new side as a file too: a BOM before the first NDJSON object is ignored', async () => {
    const r = await run(pgLegacy(), { kind: 'ndjson', path: ndjson }, { keyType: true, lineBreaks: true });
    expect([r.matched, r.mismatched, r.invalidKeysLegacy, r.rowsNew]).toEqual([3, 0, 1, 3]);
  });
});

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

describe('rows in flight by their own change timestamp (pinned clock)', () => {
  const AT = '2024-03-02T02:00:00Z'; // the comparison's time; in flight: changed at 01:30Z or later
  const spec: DomainSpecInput = {
    name: 'fl',
    key: [{ name: 'id' }],
    fields: [{ name: 'v' }],
    inFlight: { column: 'changed_at', withinMinutes: 30 },
  };
  // [id, legacy v, legacy changed_at, new v, new changed_at]
  const rows: [string, string, string, string, string][] = [
    ['K1', 'a', '2024-03-02 00:00:00+00', 'a', '2024-03-02 00:00:00+00'], // settled long ago: matched
    ['K2', 'b', '2024-03-02 00:00:00+00', 'b', '2024-03-02 01:50:00+00'], // in flight, first matched
    ['K3', 'c', '2024-03-02 01:45:00+00', 'x', '2024-03-02 00:00:00+00'], // in flight, first differs
    ['K4', 'd', '2024-03-02 00:00:00+00', 'd', '2024-03-02 00:00:00+00'],
    ['K5', 'e', '2024-03-02 00:00:00+00', 'e', '2024-03-02 00:00:00+00'],
    ['K7', 'g', '2024-03-02 00:00:00+00', 'g', '2024-03-02 00:00:00+00'],
  ];
  const load = async (table: string): Promise<void> => {
    for (const [db, side] of [
      [legacy, 0],
      [next, 1],
    ] as const) {
      await sql(db.url, `DROP TABLE IF EXISTS ${table}`);
      await sql(db.url, `CREATE TABLE ${table} (id text, v text, changed_at timestamptz)`);
      for (const r of rows) await sql(db.url, `INSERT INTO ${table} VALUES ($1, $2, $3)`, [r[0], r[1 + 2 * side], r[2 + 2 * side]]);
    }
  };
  const input = (table: string, extra: Partial<CompareInput> = {}): CompareInput => ({
    spec,
    legacy: { kind: 'postgres', url: legacy.url, query: `SELECT * FROM ${table}` },
    new: { kind: 'postgres', url: next.url, query: `SELECT * FROM ${table}` },
    window: WINDOW,
    resultsUrl: legacy.url,
    comparedAt: AT,
    ...extra,
  });

  it('rechecks every row changed within the minutes before the comparison, whatever it first gave; the same clock gives the same outcome', async () => {
    await load('fl');
    const runs = [await compareDomain(input('fl')), await compareDomain(input('fl'))];
    for (const r of runs) {
      expect([r.recheckedInFlight, r.matched, r.mismatched, r.distinctKeys]).toEqual([2, 5, 1, 6]);
      expect(await differences(r.runId)).toEqual([JSON.stringify(['["K3"]', 'mismatch', 'v', 'c', 'x'])]);
    }
    // a day later nothing is in flight any more
    const later = await compareDomain(input('fl', { comparedAt: '2024-03-03T02:00:00Z' }));
    expect([later.recheckedInFlight, later.matched, later.mismatched]).toEqual([0, 5, 1]);
    const run = await sql(legacy.url, 'SELECT outcomes FROM comparison_run WHERE id = $1', [runs[0]!.runId]);
    expect(run.rows[0]?.outcomes).toMatchObject({ recheckedInFlight: 2 });
  });

  it('compares rows that change during the settle delay at their settled state, and only those its clock names', async () => {
    await load('fl_settle');
    const runId = '22222222-3333-4444-8555-666666666666';
    const p = compareDomain(input('fl_settle', { runId, settleMs: 2000 }));
    // the first pass is over once K3's difference is written: then the world moves on
    await expect
      .poll(
        async () => (await sql(legacy.url, 'SELECT count(*)::int AS n FROM comparison_difference WHERE run_id = $1', [runId])).rows[0]?.n,
        { timeout: 20_000, interval: 50 },
      )
      .toBe(1);
    await sql(next.url, `UPDATE fl_settle SET v = 'B2', changed_at = '2024-03-02 02:01:00+00' WHERE id = 'K2'`); // first matched, then changed
    await sql(next.url, `UPDATE fl_settle SET v = 'c' WHERE id = 'K3'`); // fixed in flight (its clock not bumped: still in flight from the legacy side)
    await sql(legacy.url, `UPDATE fl_settle SET v = 'D4', changed_at = '2024-03-02 02:05:00+00' WHERE id = 'K4'`); // changed during the delay
    await sql(next.url, `INSERT INTO fl_settle VALUES ('K6', 'f', '2024-03-02 02:06:00+00')`); // arrived during the delay
    await sql(next.url, `UPDATE fl_settle SET v = 'G7' WHERE id = 'K7'`); // changed without its clock: not in flight by the rule
    const r = await p;
    expect(await differences(r.runId)).toEqual(
      [
        ['["K2"]', 'mismatch', 'v', 'b', 'B2'],
        ['["K4"]', 'mismatch', 'v', 'D4', 'd'],
        ['["K6"]', 'missing_in_legacy', null, null, null],
      ]
        .map((x) => JSON.stringify(x))
        .sort(),
    );
    expect([r.recheckedInFlight, r.matched, r.mismatched, r.missingInLegacy, r.distinctKeys, r.differingKeys]).toEqual([4, 4, 2, 1, 7, 3]);
  });

  it('the same rule on a CSV export (change timestamps as text)', async () => {
    await load('fl');
    const file = path.join(tmp, 'fl.csv');
    writeFileSync(file, ['id,v,changed_at', ...rows.map((r) => `${r[0]},${r[3]},${r[4].replace(' ', 'T')}`)].join('\n') + '\n');
    const r = await compareDomain(input('fl', { new: { kind: 'csv', path: file } }));
    expect([r.recheckedInFlight, r.matched, r.mismatched]).toEqual([2, 5, 1]);
    const later = await compareDomain(input('fl', { new: { kind: 'csv', path: file }, comparedAt: '2024-03-03T02:00:00Z' }));
    expect(later.recheckedInFlight).toBe(0);
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
