import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { parallelRunRoutes } from '../../api/routes/parallel-run';
import { endRunSignal, type ParallelRunInput } from '../../domain/parallel-run';
import { ParallelRunSettings } from '../../domain/plan';
import { testPlan } from '../../domain/demo-plans';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';
import { testDomain } from '../helpers/program';
import { testWorker, timeSkippingEnv, uniqueTaskQueue, skipTime } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let api: TestApi;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('parallel-run-api');

/** The engine's stand-in writes what the engine writes: one run row and its differences (synthetic values). */
const activities: Partial<Activities> = {
  async compareNight(input) {
    const runId = randomUUID();
    const differing = input.domain.name === 'charges' ? 2 : 0;
    await db.pool.query(
      `INSERT INTO comparison_run (id, domain, business_day, window_start, window_end, status, rows_legacy, rows_new, distinct_keys, matched,
         missing_in_legacy, missing_in_new, mismatched, duplicate_keys_legacy, duplicate_keys_new, unmapped_codes, differing_keys, mismatch_rate,
         field_mismatches, differences, outcomes, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, 100, 99, 100, 98, 0, 1, 1, 0, 0, 0, $7, $8, '{"amount": 1}', $7, '{"invalidKeysLegacy": 0, "invalidKeysNew": 0, "ambiguousTimes": 0, "recheckedInFlight": 0}', now())`,
      [
        runId,
        input.domain.name,
        input.businessDay,
        input.window.from,
        input.window.to,
        differing ? 'warning' : 'clean',
        differing,
        differing / 100,
      ],
    );
    if (differing) {
      await db.pool.query(
        `INSERT INTO comparison_difference (run_id, key, kind, field, legacy_value, new_value) VALUES
           ($1, '["CHG-1"]', 'mismatch', 'amount', '12.50', '12.05'), ($1, '["CHG-2"]', 'missing_in_new', NULL, NULL, NULL)`,
        [runId],
      );
    }
    return {
      runId,
      rowsLegacy: 100,
      rowsNew: 99,
      differingKeys: differing,
      mismatchRate: differing / 100,
      missingInLegacy: 0,
      missingInNew: differing ? 1 : 0,
      mismatched: differing ? 1 : 0,
    };
  },
  async raiseComparisonIncident(input) {
    return { workflowId: 'incident:x', runId: randomUUID(), raiseId: input.raiseId };
  },
  async notifyProgram() {
    return { delivered: true };
  },
};

beforeAll(async () => {
  [env, db] = await Promise.all([timeSkippingEnv(), freshDatabase('prapi')]);
  // Reuse off (LIVE_READ_FRESH_MS=0): its bound is real time, and here two days of the workflow's
  // clock pass between two reads a few real milliseconds apart.
  const deps = testDeps(db.pool, { temporal: env.client });
  api = await startTestApi({ ...deps, config: { ...deps.config, LIVE_READ_FRESH_MS: 0 } }, parallelRunRoutes);
  worker = await testWorker(env, taskQueue, activities);
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await api?.close();
  await Promise.all([env?.teardown(), db?.close()]);
});

const call = async (path: string, token: string) => {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

describe('parallel-run API for the command center', () => {
  it("lists nights per domain, shows a run's counts to everyone, and gives its differences as CSV to responders only, audited", async () => {
    const plan = testPlan();
    await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'p-lead-01')`, [
      plan.programId,
      plan,
    ]);
    const viewer = await personWithToken(db.pool, ['viewer'], 'pra-viewer');
    const oncall = await personWithToken(db.pool, ['oncall'], 'pra-oncall');

    // Before the pilot is live there is no run: the plan's domains, no nights.
    const before = JSON.parse((await call(`/v1/programs/${plan.programId}/parallel-run/nights`, viewer.token)).text);
    expect(before.nights).toEqual([]);

    const settings = ParallelRunSettings.parse({ minimumDays: 14, domains: [testDomain('charges'), testDomain('orders')] });
    const input: ParallelRunInput = {
      programId: plan.programId,
      timeZone: 'Asia/Shanghai',
      settings,
      scope: [{ wave: 1, departments: ['IM-OPD'], liveAtMs: await env.currentTimeMs() }],
    };
    const handle = await env.client.workflow.start('parallelRunWorkflow', {
      workflowId: `parallel-run:${plan.programId}`,
      taskQueue,
      args: [input],
    });
    await skipTime(env, 2 * 86_400_000 + 4 * 3_600_000);

    const nights = JSON.parse((await call(`/v1/programs/${plan.programId}/parallel-run/nights`, viewer.token)).text);
    expect(nights.domains).toEqual(['charges', 'orders']);
    expect(nights.nights.length).toBeGreaterThanOrEqual(1);
    const night = nights.nights[0];
    expect(night.results.charges).toMatchObject({ status: 'warning', differingKeys: 2 });
    expect(night.results.orders).toMatchObject({ status: 'clean', differingKeys: 0 });
    const runId = night.results.charges.runId as string;

    const run = JSON.parse((await call(`/v1/programs/${plan.programId}/parallel-run/runs/${runId}`, viewer.token)).text);
    expect(run).toMatchObject({
      runId,
      domain: 'charges',
      businessDay: night.businessDay,
      rowsLegacy: 100,
      rowsNew: 99,
      missingInNew: 1,
      mismatched: 1,
      fieldMismatches: { amount: 1 },
      outcomes: { invalidKeysLegacy: 0, invalidKeysNew: 0, ambiguousTimes: 0, recheckedInFlight: 0 },
    });

    const csvPath = `/v1/programs/${plan.programId}/parallel-run/runs/${runId}/differences.csv`;
    expect((await call(csvPath, viewer.token)).status).toBe(403);
    const csv = await call(csvPath, oncall.token);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain(`differences-${plan.programId}-charges-${night.businessDay}.csv`);
    expect(csv.text.trim().split('\n')).toEqual([
      'key,kind,field,legacy_value,new_value',
      '"[""CHG-1""]",mismatch,amount,12.50,12.05',
      '"[""CHG-2""]",missing_in_new,,,',
    ]);
    // The download and the viewer's refused attempt are both in the trail (intent entries aside).
    const audit = await db.pool.query(
      `SELECT actor, target, result FROM audit_log WHERE action LIKE '%differences.csv' AND result <> 'started' ORDER BY seq`,
    );
    expect(audit.rows.map((r: { actor: string }) => r.actor).sort()).toEqual(['pra-oncall', 'pra-viewer']);
    expect(audit.rows.find((r: { actor: string }) => r.actor === 'pra-oncall')).toMatchObject({
      target: { programId: plan.programId, runId },
    });
    expect(audit.rows.find((r: { actor: string }) => r.actor === 'pra-viewer')).toMatchObject({
      result: '403',
      target: { programId: plan.programId, runId },
    });

    // A run id is served only under its own program.
    expect((await call(`/v1/programs/${plan.programId}/parallel-run/runs/${randomUUID()}`, viewer.token)).status).toBe(404);
    await handle.signal(endRunSignal);
    await handle.result();
  });
});
