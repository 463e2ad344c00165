import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createMigrationActivities, type VerifyMigrationRangeInput } from '../../activities/migration';
import { migrationStatusQuery } from '../../domain/migration';
import { workflowIds } from '../../domain/ids';
import { ComparisonDomain } from '../../domain/plan';
import { verifyMigrationWorkflow } from '../../workflows';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

// Two real PostgreSQL databases stand for the legacy and the new system.
let env: TestWorkflowEnvironment;
let legacy: TestDatabase;
let fresh: TestDatabase;
let activities: ReturnType<typeof createMigrationActivities>;

const ROWS = 20_000;
const table = (name: string) => `
  CREATE TABLE ${name} (id text PRIMARY KEY, amount numeric NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO ${name} SELECT 'K' || lpad(i::text, 5, '0'), i * 1.25, timestamptz '2001-01-01' + i * interval '1 hour' FROM generate_series(1, ${ROWS}) i;`;

beforeAll(async () => {
  [env, legacy, fresh] = await Promise.all([timeSkippingEnv(), freshDatabase('mig_legacy'), freshDatabase('mig_new')]);
  await legacy.pool.query(table('accounts') + table('accounts_clean'));
  // The truth: 3 changed amounts, 2 rows not migrated, 2 rows only in the new system (one before and one after every legacy key).
  await fresh.pool.query(
    table('accounts') +
      table('accounts_clean') +
      `UPDATE accounts SET amount = amount + 1 WHERE id IN ('K00500', 'K10000', 'K19999');
       DELETE FROM accounts WHERE id IN ('K00100', 'K15000');
       INSERT INTO accounts VALUES ('A0000', 1, '2001-01-01'), ('K99999', 1, '2001-01-01');`,
  );
  activities = createMigrationActivities({ pool: legacy.pool, secrets: { LEGACY_DB_URL: legacy.url, NEW_DB_URL: fresh.url } });
});
afterAll(async () => {
  await Promise.all([env?.teardown(), legacy?.close(), fresh?.close()]);
});

const domain = (name: string, from: string) =>
  ComparisonDomain.parse({
    name,
    spec: { name, key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' }] },
    legacy: {
      kind: 'postgres',
      connection: { urlEnv: 'LEGACY_DB_URL' },
      query: `SELECT id, amount FROM ${from} WHERE created_at >= $1 AND created_at < $2`,
    },
    new: {
      kind: 'postgres',
      connection: { urlEnv: 'NEW_DB_URL' },
      query: `SELECT id, amount FROM ${from} WHERE created_at >= $1 AND created_at < $2`,
    },
  });
const accounts = domain('accounts', 'accounts');
const clean = domain('accounts-clean', 'accounts_clean');
const window = { from: '1970-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z' };

describe('verifyMigrationWorkflow', () => {
  it('compares whole tables range by range: the differing keys over all ranges are exactly the injected ones', async () => {
    const taskQueue = uniqueTaskQueue('verify-migration');
    const worker = await testWorker(env, taskQueue, activities);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(verifyMigrationWorkflow, {
        workflowId: workflowIds.verifyMigration('prog-1', 1),
        taskQueue,
        // No program is running under this id: the verification still ends with its result.
        args: [{ programId: 'prog-1', programWorkflowId: workflowIds.program('prog-1'), n: 1, domains: [accounts, clean], window }],
      });
      const result = await handle.result();
      expect(result.verified).toBe(false);
      expect(result.differingKeys).toBe(7);
      expect(result.rowsCompared).toBe(2 * ROWS + 2);
      const [dirty, same] = result.perDomain;
      expect(dirty).toMatchObject({
        domain: 'accounts',
        rangesTotal: 16,
        rangesDone: 16,
        rowsLegacy: ROWS,
        rowsNew: ROWS,
        rowsCompared: ROWS + 2,
        differingKeys: 7,
      });
      expect(same).toMatchObject({
        domain: 'accounts-clean',
        rangesTotal: 16,
        rangesDone: 16,
        rowsLegacy: ROWS,
        rowsNew: ROWS,
        rowsCompared: ROWS,
        differingKeys: 0,
      });
      // The engine's runs hold the differences: exactly the injected keys, each in one range.
      const { rows } = await legacy.pool.query<{ key: string }>(
        `SELECT DISTINCT key->>0 AS key FROM comparison_difference WHERE run_id = ANY($1::uuid[]) ORDER BY 1`,
        [dirty!.runIds],
      );
      expect(rows.map((r) => r.key)).toEqual(['A0000', 'K00100', 'K00500', 'K10000', 'K15000', 'K19999', 'K99999']);
      const status = await handle.query(migrationStatusQuery);
      expect(status).toMatchObject({
        rangesTotal: 32,
        rangesDone: 32,
        rowsCompared: 2 * ROWS + 2,
        differingKeys: 7,
        estimatedRemainingMs: 0,
        finished: true,
      });
      expect(status.perDomain).toEqual([
        { domain: 'accounts', rangesTotal: 16, rangesDone: 16, rowsCompared: ROWS + 2, differingKeys: 7 },
        { domain: 'accounts-clean', rangesTotal: 16, rangesDone: 16, rowsCompared: ROWS, differingKeys: 0 },
      ]);
    });
  });

  it('verifies a clean pair', async () => {
    const taskQueue = uniqueTaskQueue('verify-migration-clean');
    const worker = await testWorker(env, taskQueue, activities);
    const result = await worker.runUntil(
      env.client.workflow.execute(verifyMigrationWorkflow, {
        workflowId: workflowIds.verifyMigration('prog-2', 1),
        taskQueue,
        args: [{ programId: 'prog-2', n: 1, domains: [clean], ranges: 4, window }],
      }),
    );
    expect(result).toMatchObject({
      verified: true,
      differingKeys: 0,
      rowsCompared: ROWS,
      perDomain: [{ rangesTotal: 4, rangesDone: 4, differingKeys: 0 }],
    });
    expect(result.perDomain[0]!.runIds).toHaveLength(4);
  });

  it('resumes on another worker after a crash without comparing a finished range again', async () => {
    const taskQueue = uniqueTaskQueue('verify-migration-crash');
    const completed: string[] = [];
    const rangeOf = (i: VerifyMigrationRangeInput) => `${i.range.lo ?? '-'}..${i.range.hi ?? '-'}`;
    let crashed = false;
    let threeDone!: () => void;
    const three = new Promise<void>((resolve) => (threeDone = resolve));
    // A dead worker's sticky queue holds its workflow's next task until the server gives up on it,
    // which the time-skipping server did not do within a test's minute: this worker caches no workflow.
    const first = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      maxCachedWorkflows: 0,
      activities: {
        ...activities,
        // The first worker dies once three ranges are done: whatever it is still comparing is lost.
        async verifyMigrationRange(input: VerifyMigrationRangeInput) {
          if (crashed) throw new Error('worker crashed');
          const r = await activities.verifyMigrationRange(input);
          if (crashed) throw new Error('worker crashed');
          completed.push(rangeOf(input));
          if (completed.length === 3) {
            crashed = true;
            threeDone();
          }
          return r;
        },
      },
    });
    const handle = await env.client.workflow.start(verifyMigrationWorkflow, {
      workflowId: workflowIds.verifyMigration('prog-3', 1),
      taskQueue,
      args: [{ programId: 'prog-3', n: 1, domains: [accounts], ranges: 10, maxParallel: 2, window }],
    });
    await first.runUntil(three);
    expect(completed).toHaveLength(3);

    const second = await testWorker(env, taskQueue, {
      ...activities,
      async verifyMigrationRange(input) {
        const r = await activities.verifyMigrationRange(input);
        completed.push(rangeOf(input));
        return r;
      },
    });
    const result = await second.runUntil(handle.result());
    const ranges = result.perDomain[0]!.rangesTotal;
    expect(ranges).toBe(10);
    expect(completed).toHaveLength(ranges);
    expect(new Set(completed).size).toBe(ranges);
    expect(result).toMatchObject({ verified: false, differingKeys: 7, rowsCompared: ROWS + 2, perDomain: [{ rangesDone: 10 }] });
  });

  it('carries finished ranges across continue-as-new: only the ranges not yet done are compared', async () => {
    const taskQueue = uniqueTaskQueue('verify-migration-state');
    const compared: VerifyMigrationRangeInput['range'][] = [];
    const worker = await testWorker(env, taskQueue, {
      ...activities,
      async verifyMigrationRange(input) {
        compared.push(input.range);
        return activities.verifyMigrationRange(input);
      },
    });
    const startedAtMs = Date.parse('2026-11-01T00:00:00Z');
    const result = await worker.runUntil(
      env.client.workflow.execute(verifyMigrationWorkflow, {
        workflowId: workflowIds.verifyMigration('prog-4', 2),
        taskQueue,
        args: [
          {
            programId: 'prog-4',
            n: 2,
            domains: [clean],
            window,
            state: {
              startedAtMs,
              ranges: {
                'accounts-clean': [
                  { lo: null, hi: 'K10001' },
                  { lo: 'K10001', hi: null },
                ],
              },
              done: {
                'accounts-clean#0': { runId: 'run-before', rowsLegacy: 10_000, rowsNew: 10_000, rowsCompared: 10_000, differingKeys: 0 },
              },
            },
          },
        ],
      }),
    );
    expect(compared).toEqual([{ lo: 'K10001', hi: null }]);
    expect(result).toMatchObject({
      verified: true,
      rowsCompared: ROWS,
      perDomain: [{ rangesTotal: 2, rangesDone: 2, rowsLegacy: ROWS, rowsNew: ROWS }],
    });
    expect(result.perDomain[0]!.runIds[0]).toBe('run-before');
  });
});
