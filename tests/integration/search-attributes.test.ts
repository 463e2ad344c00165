import { uniqueSuffix } from '../helpers/temporal';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permanentFailure } from '../../activities/failures';
import { testPlan } from '../../domain/demo-plans';
import { ErrorType } from '../../domain/errors';
import type { ProgramStatus } from '../../domain/rollout';
import { GoliveDepartment, GoliveProgram, GoliveWave, indexedValueType, searchAttributeKeys } from '../../domain/search-attributes';
import { freePort, portOpen, retypeSearchAttributes, startTemporalDevServer, temporalCliPath, waitFor } from '../../tools/services';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * Every workflow start and search-attribute upsert golive does, on the real dev server (the
 * time-skipping server validates no search attribute): department go-lives, phases and waves,
 * the parallel run, a rollback, a migration verification, an incident for two departments and
 * the whole hospital's emergency. A value the server refuses shows as a failed workflow task
 * (upserts) or an activity that keeps retrying (the incident raise): neither may appear.
 */
let stack: TestStack;
let sources: TestDatabase;
let lead: Record<string, string>;
let approvers: Record<string, string>[];
const programId = `sa-${uniqueSuffix()}`;

beforeAll(async () => {
  sources = await freshDatabase('sa_sources');
  await sources.pool
    .query(`CREATE TABLE legacy_charges (id text PRIMARY KEY, amount numeric); CREATE TABLE new_charges (id text PRIMARY KEY, amount numeric);
    INSERT INTO legacy_charges VALUES ('a', 1), ('b', 2); INSERT INTO new_charges VALUES ('a', 1), ('b', 2);`);
  stack = await startStack('search-attributes', { workerEnv: { SA_SOURCE_DB_URL: sources.url } });
  lead = await stack.as(['lead', 'oncall'], 'p-lead-01');
  approvers = [
    await stack.as(['leadership'], 'p-vp-01'),
    await stack.as(['leadership'], 'p-itdir-01'),
    await stack.as(['leadership'], 'p-cmo-01'),
  ];
});
afterAll(async () => {
  await stack?.stop();
  await sources?.close();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${stack.url}${path}`, { method, headers: lead, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const status = async () => (await api('GET', `/v1/programs/${programId}`)).body as unknown as ProgramStatus;

async function listed(query: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const wf of stack.deps.temporal.workflow.list({ query })) out.push(wf);
  return out;
}

/** Failed workflow tasks (an upsert the server refused) in a workflow's history, by cause. */
async function failedWorkflowTasks(workflowId: string, runId: string): Promise<string[]> {
  const history = await stack.deps.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowTaskFailedEventAttributes)
    .map((e) => `${workflowId}: ${e.workflowTaskFailedEventAttributes!.failure?.message ?? 'failed'}`);
}

describe('search attributes on the real dev server', () => {
  it('accepts every start and upsert golive does, with several departments, and finds them by department', async () => {
    const plan = testPlan();
    plan.programId = programId;
    plan.waves[0]!.minimumDuration = 'PT1S';
    const domain = {
      name: 'charges',
      spec: { name: 'charges', key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' as const }] },
      legacy: { kind: 'postgres' as const, connection: { urlEnv: 'SA_SOURCE_DB_URL' }, query: 'SELECT id, amount FROM legacy_charges' },
      new: { kind: 'postgres' as const, connection: { urlEnv: 'SA_SOURCE_DB_URL' }, query: 'SELECT id, amount FROM new_charges' },
    };
    plan.parallelRun = { minimumDuration: 'PT10M', comparisonEvery: 'PT5S', settle: 'PT0S', domains: [domain] };
    expect((await api('POST', '/v1/programs', plan)).status).toBe(201);
    const training = Object.fromEntries(plan.departments.map((d) => [d.code, { examined: 5, passed: 5 }]));
    const evidence = await api('POST', `/v1/programs/${programId}/evidence`, {
      evidence: {
        uat: { severeTotal: 1, severeFixed: 1, ordinaryTotal: 1, ordinaryFixed: 1 },
        training,
        backup: { takenAt: new Date().toISOString() },
        migration: { verified: true },
      },
    });
    expect(evidence.status, JSON.stringify(evidence.body)).toBe(200);
    expect((await api('POST', `/v1/programs/${programId}/gates/readiness/requests`, {})).status).toBe(200);
    for (const a of approvers.slice(0, 2)) {
      const res = await fetch(`${stack.url}/v1/programs/${programId}/gates/readiness/decisions`, {
        method: 'POST',
        headers: a,
        body: JSON.stringify({ decision: 'go' }),
      });
      expect(res.status).toBe(200);
    }
    // The pilot: two departments' go-lives, the phase and wave upserts, and the parallel run.
    expect((await api('POST', `/v1/programs/${programId}/waves/1/start`, {})).status).toBe(200);
    await expect
      .poll(async () => (await status()).departments.filter((d) => d.wave === 1).every((d) => d.state === 'live-parallel'), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(true);
    await expect
      .poll(async () => (await status()).parallelRun.nightsCompared, { timeout: 60_000, interval: 500 })
      .toBeGreaterThanOrEqual(1);

    const rollback = await api('POST', `/v1/programs/${programId}/rollbacks`, {
      departments: ['IM-OPD'],
      reason: 'search attribute check',
    });
    expect(rollback.status, JSON.stringify(rollback.body)).toBe(200);
    await expect
      .poll(async () => (await status()).departments.find((d) => d.code === 'IM-OPD')!.state, { timeout: 60_000, interval: 500 })
      .toBe('rolled-back');

    const verification = await api('POST', `/v1/programs/${programId}/migration-verifications`, {});
    expect(verification.status, JSON.stringify(verification.body)).toBe(200);

    const incident = await api('POST', '/v1/incidents', {
      programId,
      departments: ['LAB', 'RAD'],
      severity: 'sev2',
      counts: { departments: 2 },
    });
    expect(incident.status, JSON.stringify(incident.body)).toBe(202);

    const started = Date.now();
    const emergency = await api('POST', `/v1/programs/${programId}/emergencies`, { reason: 'whole hospital: search attribute check' });
    expect(emergency.status, JSON.stringify(emergency.body)).toBe(200);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((emergency.body as { departments: string[] }).departments).toHaveLength(plan.departments.length);

    // Every kind of workflow is there under the program's attribute.
    const all = plan.departments.map((d) => d.code).sort();
    await expect
      .poll(async () => new Set((await listed(`GoliveProgram = '${programId}'`)).map((w) => w.type)), { timeout: 30_000, interval: 500 })
      .toEqual(new Set(['programWorkflow', 'departmentGoLiveWorkflow', 'parallelRunWorkflow', 'rollbackWorkflow', 'incidentWorkflow']));
    const incidents = await listed(`GoliveProgram = '${programId}' AND WorkflowType = 'incidentWorkflow'`);
    expect(
      incidents.map((w) => [...(w.typedSearchAttributes.get(GoliveDepartment) ?? [])].sort()).sort((a, b) => a.length - b.length),
    ).toEqual([['LAB', 'RAD'], all]);
    // A department list is searchable by any one of its departments.
    await expect
      .poll(async () => (await listed(`GoliveProgram = '${programId}' AND GoliveDepartment = 'RAD'`)).map((w) => w.type).sort(), {
        timeout: 30_000,
      })
      .toEqual(['incidentWorkflow', 'incidentWorkflow']);
    const lab = await listed(`GoliveProgram = '${programId}' AND GoliveDepartment = 'LAB' AND GoliveWave = 1`);
    expect(lab.map((w) => w.type)).toEqual(['departmentGoLiveWorkflow']);
    expect(lab[0]!.typedSearchAttributes.get(GoliveProgram)).toBe(programId);
    expect(lab[0]!.typedSearchAttributes.get(GoliveWave)).toBe(1);

    const everything = await listed(
      `WorkflowId STARTS_WITH 'program:${programId}' OR GoliveProgram = '${programId}' OR WorkflowId STARTS_WITH 'verify-migration:${programId}'`,
    );
    expect(everything.some((w) => w.type === 'verifyMigrationWorkflow')).toBe(true);
    const failures = (await Promise.all(everything.map((w) => failedWorkflowTasks(w.workflowId, w.runId)))).flat();
    expect(failures).toEqual([]);
    // No raise left retrying: the program's pending activities are all on their first attempt.
    const program = await stack.deps.temporal.workflow.getHandle(`program:${programId}`).describe();
    expect((program.raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1).map((a) => a.activityType?.name)).toEqual([]);
    expect(everything.filter((w) => w.status.name === 'FAILED').map((w) => w.workflowId)).toEqual([]);
  });
});

describe("the real server's refusals", () => {
  it('are classified as failures no retry can fix', async () => {
    // A value of the wrong type, as the department list in a single Keyword was.
    const mistyped = defineSearchAttributeKey(GoliveWave.name, SearchAttributeType.KEYWORD);
    const err = await stack.deps.temporal.workflow
      .start('incidentWorkflow', {
        workflowId: `sa-refused-${Date.now()}`,
        taskQueue: 'nobody-polls-this',
        args: [{}],
        typedSearchAttributes: [{ key: mistyped, value: 'one' }],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeDefined();
    expect(permanentFailure(err)).toMatchObject({ type: ErrorType.TemporalRejected, nonRetryable: true, details: [{ grpcStatus: 3 }] });
  });
});

describe('a persisted dev server from before the department list', () => {
  it('gets GoliveDepartment retyped to a keyword list, and missing attributes added, when it starts again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'golive-sa-'));
    const dbFile = join(dir, 'temporal.db');
    const port = await freePort();
    // What an older golive registered: the department as a single Keyword.
    const old = spawn(
      temporalCliPath(),
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--headless',
        '--log-level',
        'error',
        '--db-filename',
        dbFile,
        '--search-attribute',
        'GoliveDepartment=Keyword',
        '--search-attribute',
        'GoliveProgram=Keyword',
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor('old dev server', () => portOpen(port), 60_000, old);
      const types = async () => {
        const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
        try {
          return (await connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes ?? {};
        } finally {
          await connection.close();
        }
      };
      await expect.poll(async () => (await types()).GoliveDepartment, { timeout: 20_000 }).toBe(indexedValueType.KEYWORD);
      old.kill('SIGTERM');
      await new Promise((r) => old.once('exit', r));

      const server = await startTemporalDevServer({ port, dbFile });
      try {
        const now = await types();
        expect(Object.fromEntries(searchAttributeKeys.map((k) => [k.name, now[k.name]]))).toEqual(
          Object.fromEntries(searchAttributeKeys.map((k) => [k.name, indexedValueType[k.type]])),
        );
        // Nothing else to change the next time.
        expect(await retypeSearchAttributes(server.address)).toEqual([]);
      } finally {
        await server.stop();
      }
    } finally {
      if (old.exitCode === null && old.signalCode === null) old.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
