/**
 * The comparison engine's rules of issue 19, files as faithful as tables, each on PostgreSQL and on file sources.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlAt as sql } from '../helpers/db';
import { legacy, next, useCompareDatabases, WINDOW } from '../helpers/compare-databases';
import { compareDomain, type CompareInput, type DomainSpecInput } from '../../compare';

// Several comparisons per test: more than the unit default on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

useCompareDatabases('rules');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'golive-compare-rules-files-'));

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
