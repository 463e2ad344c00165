/**
 * The parallel-run workflow tests' shared harness (tests/workflow/parallel-run*.test.ts that drive
 * the workflow on fakes): recording stand-ins for its activities, one worker on a time-skipping
 * server per file, and helpers to start a run and skip to a night. env is a live binding, set by
 * useParallelRunWorker()'s beforeAll.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Activities } from '../../activities';
import type { CompareNightInput, CompareNightResult, RaiseComparisonIncidentInput } from '../../activities/parallel-run';
import { endRunSignal, type NightSummary, type ParallelRunInput } from '../../domain/parallel-run';
import { ParallelRunSettings } from '../../domain/plan';
import { businessDayOf, businessDayWindow, nextLocalTime } from '../../domain/rules/time';
import { parallelRunWorkflow } from '../../workflows';
import { testDomain } from './program';
import { eventually } from './eventually';
import { testWorker, timeSkippingEnv, uniqueSuffix, uniqueTaskQueue, skipTime } from './temporal';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const lead = { personId: 'p-lead-01', roles: ['lead' as const] };

interface Call extends CompareNightInput {
  attempt: number;
  /** The test server's (skipped) time when this attempt ran. */
  startedAtMs: number;
}
type Outcome = Partial<CompareNightResult> | 'down';
export interface Fake {
  calls: Call[];
  summaries: NightSummary[];
  incidents: RaiseComparisonIncidentInput[];
  script: (c: CompareNightInput) => Outcome;
  inFlight: number;
  maxInFlight: number;
}

const fakes = new Map<string, Fake>();
export const fakeOf = (programId: string) => fakes.get(programId)!;

/** Stand-ins for the comparison engine, the incident raise and the program: they record every call. */
const activities: Partial<Activities> = {
  async compareNight(input) {
    const f = fakeOf(input.programId);
    const info = Context.current().info;
    f.calls.push({ ...input, attempt: info.attempt, startedAtMs: await env.currentTimeMs() });
    f.inFlight++;
    f.maxInFlight = Math.max(f.maxInFlight, f.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 20));
      const outcome = f.script(input);
      if (outcome === 'down')
        throw ApplicationFailure.create({ type: 'ComparisonFailed', message: 'compare: PostgreSQL error 57P03 (legacy source)' });
      return {
        runId: randomUUID(),
        rowsLegacy: 1000,
        rowsNew: 1000,
        differingKeys: 0,
        mismatchRate: 0,
        missingInLegacy: 0,
        missingInNew: 0,
        mismatched: 0,
        ...outcome,
      };
    } finally {
      f.inFlight--;
    }
  },
  async raiseComparisonIncident(input) {
    fakeOf(input.programId).incidents.push(input);
    return { workflowId: `incident:${input.programId}:${input.condition}:all`, runId: randomUUID(), raiseId: input.raiseId };
  },
  async notifyProgram({ programWorkflowId, summary }) {
    fakeOf(programWorkflowId.slice('program:'.length)).summaries.push(summary);
    return { delivered: true };
  },
};

export let env: TestWorkflowEnvironment;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;

/** Starts the file's server and worker before its tests and stops them after. */
export function useParallelRunWorker() {
  beforeAll(async () => {
    env = await timeSkippingEnv();
    taskQueue = uniqueTaskQueue('parallel-run');
    worker = await testWorker(env, taskQueue, activities);
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });
}

// Any differing key is a warning; more than 5% of the keys is critical.
export const domain = testDomain;

let counter = 0;
export async function start(
  opts: { tz?: string; liveAtMs?: number; domains?: ReturnType<typeof domain>[]; settings?: object; script?: Fake['script'] } = {},
) {
  const programId = `pr-${++counter}-${uniqueSuffix()}`;
  const fake: Fake = { calls: [], summaries: [], incidents: [], script: opts.script ?? (() => ({})), inFlight: 0, maxInFlight: 0 };
  fakes.set(programId, fake);
  const settings = ParallelRunSettings.parse({
    minimumDays: 14,
    exitCleanNights: 3,
    domains: opts.domains ?? [domain('charges'), domain('orders')],
    ...opts.settings,
  });
  const liveAtMs = opts.liveAtMs ?? (await env.currentTimeMs());
  const input: ParallelRunInput = {
    programId,
    programWorkflowId: `program:${programId}`,
    timeZone: opts.tz ?? 'Asia/Shanghai',
    settings,
    scope: [{ wave: 1, departments: ['IM-OPD', 'LAB'], liveAtMs }],
  };
  const handle = await env.client.workflow.start(parallelRunWorkflow, {
    workflowId: `parallel-run:${programId}`,
    taskQueue,
    args: [input],
  });
  return { handle, fake, settings, liveAtMs, input };
}

/** Skips time to `afterMs` past the nightlyAt after business day `n` (1-based from the first compared day) and waits for its summary. */
export async function throughNight(run: Awaited<ReturnType<typeof start>>, n: number, afterMs = 60_000) {
  const tz = run.input.timeZone;
  let day = businessDayOf(run.liveAtMs, tz);
  for (let i = 0; i < n; i++) day = new Date(Date.parse(day) + DAY + HOUR).toISOString().slice(0, 10);
  const dueAt = nextLocalTime('02:00', tz, businessDayWindow(day, tz)[1] - 1);
  const now = await env.currentTimeMs();
  if (dueAt + afterMs > now) await skipTime(env, dueAt + afterMs - now);
  await eventually(() => expect(run.fake.summaries.filter((s) => s.kind === 'nightly').length).toBeGreaterThanOrEqual(n));
}

export async function end(handle: WorkflowHandle<typeof parallelRunWorkflow>) {
  await handle.signal(endRunSignal);
  return handle.result();
}

export const days = (calls: { businessDay: string }[]) => [...new Set(calls.map((c) => c.businessDay))];
