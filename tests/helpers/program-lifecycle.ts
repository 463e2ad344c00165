import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { departmentReportSignal, type ProgramStatus } from '../../domain/rollout';
import { atHospitalMorning, testDomain, type Program, type ProgramTestBed } from './program';

/** The status without its clock (updatedAt): two reads of an unchanged program are equal. */
export const withoutClock = ({ updatedAt: _, ...rest }: ProgramStatus) => rest;

/** A program whose pilot is live with the parallel run going (one comparison domain, clean nights). */
export async function pilotLive(bed: ProgramTestBed): Promise<Program> {
  const p = bed.driver;
  await atHospitalMorning(bed.env);
  const h = await p.start((plan) => {
    for (const w of plan.waves) w.minimumDuration = 'PT1H';
    plan.parallelRun = { minimumDays: 14, exitCleanNights: 3, domains: [testDomain('charges')] };
  });
  bed.nights.differingKeys = () => 0;
  await p.passGate(h, 'readiness');
  await p.startWave(h, 1);
  await p.until(h, (s) => s.waves[0]!.status === 'live' && s.parallelRun.started);
  return h;
}

/**
 * Makes a workflow continue as new the cheap way: signals that change nothing, each with a
 * 200 kB payload the handler ignores, until the server suggests continuing as new (the test
 * server does so on the history's size). `afterBatch` may move the clock for workflows that
 * look at the suggestion only between steps. Returns the new run's id.
 */
export async function forceContinueAsNew(
  h: WorkflowHandle,
  noop: () => Promise<void>,
  afterBatch: () => Promise<void> = async () => undefined,
): Promise<string> {
  const first = (await h.describe()).runId;
  // A query first, while the history is small: a worker that lost its cached copy of the
  // workflow (the test server's clock jumped past the sticky queue's timeout, say) replays it now;
  // a replay after the padding would need a history larger than its 4 MB gRPC messages.
  await h.query('__stack_trace');
  // About 20 signals (4 MB) reach the test server's suggestion. Each batch is let through the
  // worker before the next is sent: signals sent faster than a loaded machine's worker takes
  // them pile up into one task of several megabytes.
  for (let sent = 0; sent < 100; sent += 5) {
    const before = (await h.describe()).historyLength;
    await Promise.all(Array.from({ length: 5 }, noop));
    await afterBatch();
    const now = await settled(h, first, before + 5);
    if (now !== first) return now;
  }
  const d = await h.describe();
  throw new Error(`${h.workflowId} did not continue as new: ${d.historyLength} events after 100 signals`);
}

/**
 * Waits until a workflow task has completed after the signals (the history holds them and at least
 * a task's scheduled, started and completed events) and the history has stopped growing for a
 * moment, at most five seconds; returns the current run's id. It watches the history rather than
 * asking a query: the time-skipping server never answers a query that is in flight when the
 * workflow continues as new, and that lost query holds its clock still for every later test of the
 * file. (Its describe leaves out the pending workflow task, so the events are counted.)
 */
async function settled(h: WorkflowHandle, first: string, withSignals: number): Promise<string> {
  const deadline = Date.now() + 5_000;
  let last = -1;
  for (;;) {
    const d = await h.describe();
    if (d.runId !== first) return d.runId;
    if ((d.historyLength >= withSignals + 3 && d.historyLength === last) || Date.now() > deadline) return d.runId;
    last = d.historyLength;
    await new Promise((r) => setTimeout(r, 150));
  }
}

export const padding = Array.from({ length: 2000 }, (_, i) => `padding-${i}-${'x'.repeat(90)}`);

/** A report about no department of the plan: the program ignores it (a late report of nothing). */
export const noopReport = (h: Program) => () =>
  h.signal(departmentReportSignal, { department: 'NO-SUCH-DEPT', attempt: 0, outcome: 'live', completedSteps: padding });

/** The first event of a run, read alone (a run full of padded signals is too big to fetch whole). */
export async function startedEvent(env: TestWorkflowEnvironment, workflowId: string, runId: string) {
  const page = await env.client.workflowService.getWorkflowExecutionHistory({
    namespace: 'default',
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  return page.history!.events![0]!.workflowExecutionStartedEventAttributes!;
}

/** Bytes of a run's input: for a program that continued as new, the state it carried. */
export async function inputBytes(env: TestWorkflowEnvironment, workflowId: string, runId: string): Promise<number> {
  return (await startedEvent(env, workflowId, runId)).input!.payloads!.reduce((n, x) => n + (x.data?.length ?? 0), 0);
}
