import { MockActivityEnvironment } from '@temporalio/testing';
import { sdkTestLogger } from '../helpers/logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimAttempt, createParallelRunActivities, type CompareNightInput, type CompareNightResult } from '../../activities/parallel-run';
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
  legacy: {
    kind: 'postgres',
    connection: { urlEnv: 'LEGACY_DB_URL' },
    query: 'SELECT id, amount FROM legacy_charges WHERE at >= $1 AND at < $2 AND dept = ANY({{departments}})',
  },
  new: {
    kind: 'postgres',
    connection: { urlEnv: 'NEW_DB_URL' },
    query: 'SELECT id, amount FROM new_charges WHERE at >= $1 AND at < $2 AND dept = ANY({{departments}})',
  },
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

const run = (compareNight: (i: CompareNightInput) => Promise<CompareNightResult>, input: CompareNightInput): Promise<CompareNightResult> =>
  new MockActivityEnvironment(undefined, { logger: sdkTestLogger() }).run(compareNight, input);

describe('compareNight activity', () => {
  it('resolves the connections from the named environment variables, compares only the departments in scope, and returns counts', async () => {
    const { compareNight } = createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: db.url, NEW_DB_URL: db.url } });
    const r = await run(compareNight, night(['LAB']));
    expect(r).toMatchObject({
      rowsLegacy: 2,
      rowsNew: 2,
      differingKeys: 1,
      mismatched: 1,
      missingInNew: 0,
      missingInLegacy: 0,
      mismatchRate: 0.5,
    });
    // The outcomes beside the categories travel to the workflow, which puts them in the gate evidence.
    expect(r.outcomes).toEqual({ invalidKeysLegacy: 0, invalidKeysNew: 0, ambiguousTimes: 0, recheckedInFlight: 0 });
    const wider = await run(compareNight, night(['LAB', 'RAD']));
    expect(wider).toMatchObject({ rowsLegacy: 3, rowsNew: 2, differingKeys: 2, missingInNew: 1 });
    const { rows } = await db.pool.query(`SELECT domain, business_day::text AS day, status FROM comparison_run WHERE id = $1`, [r.runId]);
    expect(rows).toEqual([{ domain: 'charges', day: '2026-04-02', status: 'clean' }]);
  });

  it('refuses for good when a named variable is not set, and names only the variable', async () => {
    const { compareNight } = createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: db.url } });
    await expect(run(compareNight, night(['LAB']))).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: 'new source: environment variable NEW_DB_URL is not set',
    });
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

  it("closes as abandoned the row a killed worker's attempt left running, when the activity retries", async () => {
    const { compareNight } = createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: db.url, NEW_DB_URL: db.url } });
    const execution = { workflowId: 'parallel-run:prog-kill', runId: 'run-1' };
    // What a worker killed with SIGKILL mid-comparison leaves: its attempt noted, its row 'running'.
    const killedAttempt = async (activityId: string) => {
      const runId = await claimAttempt(db.pool, { activityId, attempt: 1, workflowExecution: execution });
      await db.pool.query(
        `INSERT INTO comparison_run (id, domain, window_start, window_end, status) VALUES ($1, 'charges', now(), now(), 'running')`,
        [runId],
      );
      return runId;
    };
    const killed = await killedAttempt('7');
    const otherActivity = await killedAttempt('8');

    const retry: CompareNightResult = await new MockActivityEnvironment({ activityId: '7', attempt: 2, workflowExecution: execution }).run(
      compareNight,
      night(['LAB']),
    );
    const status = async (id: string) =>
      (
        await db.pool.query<{ status: string; error_code: string | null; finished: boolean }>(
          'SELECT status, error_code, finished_at IS NOT NULL AS finished FROM comparison_run WHERE id = $1',
          [id],
        )
      ).rows[0];
    expect(await status(killed)).toEqual({ status: 'abandoned', error_code: 'ABANDONED', finished: true });
    expect(await status(retry.runId)).toEqual({ status: 'clean', error_code: null, finished: true });
    // Another activity's comparison (perhaps still running on a live worker) is not touched.
    expect((await status(otherActivity))!.status).toBe('running');
    // The first attempt of an activity closes nothing.
    const first: CompareNightResult = await new MockActivityEnvironment({
      activityId: '8',
      attempt: 1,
      workflowExecution: { ...execution, runId: 'run-2' },
    }).run(compareNight, night(['LAB']));
    expect((await status(first.runId))!.status).toBe('clean');
    expect((await status(otherActivity))!.status).toBe('running');
  });
});
