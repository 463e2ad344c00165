/**
 * The comparison engine's rules of issue 19, time: ambiguous local times, and rows in flight by their change timestamp, each on PostgreSQL and on file sources.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlAt as sql } from '../helpers/db';
import { legacy, next, useCompareDatabases, WINDOW } from '../helpers/compare-databases';
import { differences } from '../helpers/compare-rules';
import { compareDomain, type CompareInput, type CompareResult, type DomainSpecInput } from '../../compare';

// Several comparisons per test: more than the unit default on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

useCompareDatabases('rules');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-rules-time-'));

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
