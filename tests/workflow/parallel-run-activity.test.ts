import { MockActivityEnvironment } from '@temporalio/testing';
import { sdkTestLogger } from '../helpers/logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParallelRunActivities, type CompareNightInput, type CompareNightResult } from '../../activities/parallel-run';
import { ComparisonDomain } from '../../domain/plan';
import { freshDatabase, type TestDatabase } from '../helpers/db';

// The engine against real PostgreSQL: both "systems" are tables of one fresh database.
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('parallel_run');
  await db.pool.query(`
    CREATE TABLE legacy_charges (id text, dept text, amount numeric, at timestamptz);
    CREATE TABLE new_charges (id text, dept text, amount numeric, at timestamptz);
    INSERT INTO legacy_charges VALUES ('c1', 'LAB', 10.00, '2026-04-02T01:00:00Z'), ('c2', 'LAB', 20.00, '2026-04-02T02:00:00Z'),
      ('c3', 'RAD', 30.00, '2026-04-02T03:00:00Z'), ('c4', 'LAB', 40.00, '2026-04-03T03:00:00Z');
    INSERT INTO new_charges VALUES ('c1', 'LAB', 10.00, '2026-04-02T01:00:00Z'), ('c2', 'LAB', 25.00, '2026-04-02T02:00:00Z');
  `);
});
afterAll(async () => db?.close());

const charges = ComparisonDomain.parse({
  name: 'charges',
  spec: { name: 'ignored', key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' }] },
  legacy: { kind: 'postgres', connection: { urlEnv: 'LEGACY_DB_URL' }, query: 'SELECT id, amount FROM legacy_charges WHERE at >= $1 AND at < $2 AND dept = ANY({{departments}})' },
  new: { kind: 'postgres', connection: { urlEnv: 'NEW_DB_URL' }, query: 'SELECT id, amount FROM new_charges WHERE at >= $1 AND at < $2 AND dept = ANY({{departments}})' },
});

const night = (departments: string[]): CompareNightInput => ({
  programId: 'prog-1',
  domain: charges,
  businessDay: '2026-04-02',
  window: { from: '2026-04-01T16:00:00.000Z', to: '2026-04-02T16:00:00.000Z' },
  departments,
  settleMs: 0,
  scheduledAtMs: Date.parse('2026-04-02T18:00:00Z'),
});

const run = (compareNight: (i: CompareNightInput) => Promise<CompareNightResult>, input: CompareNightInput): Promise<CompareNightResult> => new MockActivityEnvironment(undefined, { logger: sdkTestLogger() }).run(compareNight, input);

describe('compareNight activity', () => {
  it('resolves the connections from the named environment variables, compares only the departments in scope, and returns counts', async () => {
    const { compareNight } = createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: db.url, NEW_DB_URL: db.url } });
    const r = await run(compareNight, night(['LAB']));
    expect(r).toMatchObject({ rowsLegacy: 2, rowsNew: 2, differingKeys: 1, mismatched: 1, missingInNew: 0, missingInLegacy: 0, mismatchRate: 0.5 });
    const wider = await run(compareNight, night(['LAB', 'RAD']));
    expect(wider).toMatchObject({ rowsLegacy: 3, rowsNew: 2, differingKeys: 2, missingInNew: 1 });
    const { rows } = await db.pool.query(`SELECT domain, business_day::text AS day, status FROM comparison_run WHERE id = $1`, [r.runId]);
    expect(rows).toEqual([{ domain: 'charges', day: '2026-04-02', status: 'clean' }]);
  });

  it('refuses for good when a named variable is not set, and names only the variable', async () => {
    const { compareNight } = createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: db.url } });
    await expect(run(compareNight, night(['LAB']))).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true, message: 'new source: environment variable NEW_DB_URL is not set' });
  });

  it('fails retryably when a database is down, without the connection string in the message', async () => {
    const down = 'postgres://golive:s3cret@127.0.0.1:1/nowhere';
    const { compareNight } = createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: down, NEW_DB_URL: db.url } });
    const err: Error = await run(compareNight, night(['LAB'])).then(
      () => new Error('the comparison should have failed'),
      (e: Error) => e,
    );
    expect(err).toMatchObject({ type: 'ComparisonFailed', nonRetryable: false });
    expect(err.message).toMatch(/^compare: .*\(legacy source\)$/);
    expect(err.message).not.toContain('s3cret');
  });
});
