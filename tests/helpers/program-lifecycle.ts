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
  // About 20 signals (4 MB) reach the test server's suggestion. Each batch is let through the
  // worker before the next is sent (a query is answered after the task that takes the signals):
  // signals sent faster than a loaded machine's worker takes them pile up for nothing.
  for (let sent = 0; sent < 100; sent += 5) {
    await Promise.all(Array.from({ length: 5 }, noop));
    await afterBatch();
    for (let i = 0; i < 5; i++) {
      const now = (await h.describe()).runId;
      if (now !== first) return now;
      await h.query('__stack_trace').catch(() => undefined);
    }
  }
  const d = await h.describe();
  throw new Error(`${h.workflowId} did not continue as new: ${d.historyLength} events after 100 signals`);
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
