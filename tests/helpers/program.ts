import { uniqueSuffix, skipTime } from './temporal';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Activities, type ActivityDeps } from '../../activities';
import { failFast } from '../../activities/failures';
import { createMailer } from '../../platform/mailer';
import { freshDatabase } from './db';
import { startTestSmtp } from './smtp';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from './temporal';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan, type PlanInput } from '../../domain/plan';
import {
  decideGateUpdate,
  programStatusQuery,
  recordEvidenceUpdate,
  requestGateUpdate,
  startWaveUpdate,
  type Actor,
  type ProgramStatus,
} from '../../domain/rollout';
import type { Evidence } from '../../domain/rules/criteria';
import type { GateKey } from '../../domain/rules/gates';
import { nextLocalTime } from '../../domain/rules/time';
import type { programWorkflow } from '../../workflows';

export const DAY = 86_400_000;
export const lead: Actor = { personId: 'p-lead-01', roles: ['lead'] };
export const vp: Actor = { personId: 'p-vp-01', roles: ['leadership'] };
export const itdir: Actor = { personId: 'p-itdir-01', roles: ['leadership'] };
export const cmo: Actor = { personId: 'p-cmo-01', roles: ['leadership'] };

export type Program = WorkflowHandle<typeof programWorkflow>;

let programCounter = 0;

/** Drives program workflows on a time-skipping environment the way the API does. */
export function programDriver(env: TestWorkflowEnvironment, taskQueue: string) {
  const status = (handle: Program) => handle.query(programStatusQuery);
  const driver = {
    async start(edit: (p: PlanInput) => void = () => undefined): Promise<Program> {
      const input = testPlan();
      input.programId = `prog-${++programCounter}-${uniqueSuffix()}`;
      edit(input);
      return env.client.workflow.start<typeof programWorkflow>('programWorkflow', {
        workflowId: `program:${input.programId}`,
        taskQueue,
        args: [{ plan: parsePlan(input), createdBy: 'p-lead-01' }],
      });
    },
    status,
    async fullEvidence(handle: Program) {
      const nowIso = new Date(await env.currentTimeMs()).toISOString();
      const training = Object.fromEntries(testPlan().departments.map((d) => [d.code, { examined: 20, passed: 20 }]));
      const evidence: Evidence = {
        uat: { severeTotal: 12, severeFixed: 12, ordinaryTotal: 200, ordinaryFixed: 190 },
        training,
        backup: { takenAt: nowIso },
        migration: { verified: true },
      };
      return handle.executeUpdate(recordEvidenceUpdate, { args: [{ actor: lead, evidence }] });
    },
    request: (handle: Program, gate: GateKey) => handle.executeUpdate(requestGateUpdate, { args: [{ actor: lead, gate }] }),
    decide: (
      handle: Program,
      gate: GateKey,
      actor: Actor,
      decision: 'go' | 'no-go',
      extra: { comment?: string; override?: { reason: string } } = {},
    ) => handle.executeUpdate(decideGateUpdate, { args: [{ actor, gate, decision, ...extra }] }),
    startWave: (handle: Program, wave: number) => handle.executeUpdate(startWaveUpdate, { args: [{ actor: lead, wave }] }),
    /** Polls the status query (real time; the test server skips time only when asked). */
    async until(handle: Program, predicate: (s: ProgramStatus) => boolean): Promise<ProgramStatus> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const s = await status(handle);
        if (predicate(s)) return s;
        if (Date.now() > deadline)
          throw new Error(`timed out; phase ${s.phase}, departments ${s.departments.map((d) => `${d.code}:${d.state}`).join(' ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async passGate(handle: Program, gate: GateKey, approvers: Actor[] = [vp, itdir]) {
      await driver.fullEvidence(handle);
      await driver.request(handle, gate);
      for (const a of approvers) await driver.decide(handle, gate, a, 'go');
    },
  };
  return driver;
}

/**
 * Moves the test server's clock to the next 10:00 hospital time. Its clock starts at the real now,
 * and a pilot that goes live between midnight and the 02:00 comparison has its first nights
 * compared a day later than one that goes live at noon: a test that counts nights after a few days
 * passes or fails with the hour it runs at unless it starts here. (Not for every test: a sleep on
 * a server that has just terminated a workflow may never return.)
 */
export async function atHospitalMorning(env: TestWorkflowEnvironment) {
  const now = await env.currentTimeMs();
  await skipTime(env, nextLocalTime('10:00', testPlan().hospital.timeZone, now) - now);
}

export const dept = (s: ProgramStatus, code: string) => s.departments.find((d) => d.code === code)!;

/**
 * Activities for program tests: the real ones, except that raised incidents are recorded
 * instead of started. A real incident's ladder would keep timers running on this task queue
 * after the test's worker is gone, and the time-skipping server would then wait for them.
 * The incident workflow has tests of its own.
 */
export function programTestActivities(real: Activities) {
  const raised: { condition: string; severity: string; departments?: string[]; counts?: object; programId: string }[] = [];
  /** Set to make a raise fail with the error it returns (as the real server's refusals do); undefined lets it through. */
  const faults: { raise?: () => Error | undefined } = {};
  /** What the nightly comparison finds, per business day and domain (default: clean). */
  const nights = { differingKeys: (_day: string, _domain: string) => 0 };
  const activities: Activities = {
    ...real,
    async raiseIncident(input) {
      const fault = faults.raise?.();
      if (fault) throw fault;
      raised.push(input);
      return { workflowId: `incident:${input.programId}:${input.condition}`, runId: 'test', raiseId: input.raiseId ?? 'test' };
    },
    async raiseComparisonIncident(input) {
      raised.push(input);
      return { workflowId: `incident:${input.programId}:${input.condition}`, runId: 'test', raiseId: input.raiseId ?? 'test' };
    },
    // Whole-history verification: 4 ranges per domain; differences as nights.differingKeys says for day 'history'.
    async planMigrationRanges() {
      return [
        { lo: null, hi: 'g' },
        { lo: 'g', hi: 'n' },
        { lo: 'n', hi: 't' },
        { lo: 't', hi: null },
      ];
    },
    async verifyMigrationRange(input) {
      const differingKeys = input.range.lo === 'n' ? nights.differingKeys('history', input.domain.name) : 0;
      return {
        runId: `mig-${input.domain.name}-${input.range.lo ?? 'start'}`,
        rowsLegacy: 5000,
        rowsNew: 5000,
        rowsCompared: 5000,
        differingKeys,
      };
    },
    async compareNight(input) {
      const differingKeys = nights.differingKeys(input.businessDay, input.domain.name);
      return {
        runId: `run-${input.businessDay}-${input.domain.name}`,
        rowsLegacy: 1000,
        rowsNew: 1000,
        differingKeys,
        mismatchRate: differingKeys / 1000,
        missingInLegacy: 0,
        missingInNew: 0,
        mismatched: differingKeys,
      };
    },
  };
  // As createActivities does for the real ones: errors that can never succeed fail fast.
  return { activities: failFast(activities), raised, nights, faults };
}

/** A comparison domain for plans in tests (the comparison itself is scripted by programTestActivities). */
export const testDomain = (name: string, onCritical: 'pause' | 'propose-rollback' | 'incident-only' = 'incident-only') => ({
  name,
  spec: { name, key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' as const }] },
  legacy: {
    kind: 'postgres' as const,
    connection: { urlEnv: 'LEGACY_DB_URL' },
    query: 'SELECT id, amount FROM charges WHERE at >= $1 AND at < $2',
  },
  new: {
    kind: 'postgres' as const,
    connection: { urlEnv: 'NEW_DB_URL' },
    query: 'SELECT id, amount FROM charge WHERE at >= $1 AND at < $2',
  },
  thresholds: { warning: { count: 0 }, critical: { rate: 0.05 } },
  onCritical,
});

/**
 * What a program test file needs, started once per file: its own time-skipping server, a
 * fresh database, a real SMTP server, and a worker running programTestActivities.
 */
export async function programTestBed(name: string, activityDeps: Partial<ActivityDeps> = {}) {
  const [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase(name), startTestSmtp()]);
  const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
  const fake = programTestActivities(
    createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl: 'http://golive.test', ...activityDeps }),
  );
  const taskQueue = uniqueTaskQueue(name);
  const worker = await testWorker(env, taskQueue, fake.activities);
  const running = worker.run();
  return {
    env,
    db,
    smtp,
    raised: fake.raised,
    faults: fake.faults,
    nights: fake.nights,
    taskQueue,
    driver: programDriver(env, taskQueue),
    async close() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), db.close(), smtp.close()]);
    },
  };
}
export type ProgramTestBed = Awaited<ReturnType<typeof programTestBed>>;
