import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../../domain/ids';
import { parallelRunStatusQuery } from '../../domain/parallel-run';
import type { parallelRunWorkflow } from '../../workflows';
import { programTestBed, type Program, type ProgramTestBed, DAY } from '../helpers/program';
import { forceContinueAsNew, inputBytes, noopReport, pilotLive, withoutClock } from '../helpers/program-lifecycle';
import { skipTime } from '../helpers/temporal';

/**
 * A year of parallel run under one program (issue 14): every night compared, every history
 * small, and the program's state bounded. A file of its own: its own time-skipping server, whose
 * clock nothing else holds.
 */
let bed: ProgramTestBed;
let env: ProgramTestBed['env'];
let p: ProgramTestBed['driver'];

beforeAll(async () => {
  bed = await programTestBed('year');
  ({ env, driver: p } = bed);
});
afterAll(() => bed?.close());

const programId = (h: WorkflowHandle) => h.workflowId.slice(h.workflowId.indexOf(':') + 1);
const parallelRun = (h: Program) => env.client.workflow.getHandle<typeof parallelRunWorkflow>(workflowIds.parallelRun(programId(h)));

/** The events of every run of a workflow, from the first, following continue-as-new. */
async function runChain(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[][]> {
  // The first run: the one whose start continued nothing.
  let runId = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  for (;;) {
    const events = (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events!;
    const previous = events[0]!.workflowExecutionStartedEventAttributes!.continuedExecutionRunId;
    if (!previous) break;
    runId = previous;
  }
  const runs: temporal.api.history.v1.IHistoryEvent[][] = [];
  let next: string | undefined = runId;
  while (next) {
    const events: temporal.api.history.v1.IHistoryEvent[] = (await env.client.workflow.getHandle(workflowId, next).fetchHistory()).events!;
    runs.push(events);
    next = events.at(-1)!.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

describe('a year of parallel run', () => {
  const sizes: { nights: number; statusBytes: number; stateBytes: number }[] = [];
  let year: Program;

  const programRuns: string[] = [];

  async function measure(h: Program, nights: number) {
    await p.until(h, (s) => s.parallelRun.nightsCompared >= nights);
    const runId = await forceContinueAsNew(h, noopReport(h));
    programRuns.push(runId);
    const status = await p.status(h);
    sizes.push({
      nights: status.parallelRun.nightsCompared,
      statusBytes: JSON.stringify(withoutClock(status)).length,
      stateBytes: await inputBytes(env, h.workflowId, runId),
    });
    console.info(
      `program after ${status.parallelRun.nightsCompared} nights: status query ${sizes.at(-1)!.statusBytes} bytes, continue-as-new input ${sizes.at(-1)!.stateBytes} bytes`,
    );
  }

  it(
    '365 nights: every night compared, every history small, the status query does not grow with the nights',
    { timeout: 900_000 },
    async () => {
      year = await pilotLive(bed);
      programRuns.push((await year.describe()).runId);
      // Measured past the 62 business days kept whole (NIGHTS_KEPT), and again at a year.
      await skipTime(env, 91 * DAY);
      await measure(year, 90);
      await skipTime(env, 275 * DAY);
      await measure(year, 365);
      const pr = await parallelRun(year).query(parallelRunStatusQuery);
      expect(pr.nightsCompared).toBeGreaterThanOrEqual(365);
      expect(pr.cleanStreak).toEqual({ charges: pr.nightsCompared });

      // The parallel run continues as new every 30 nights; the program when the server suggests it.
      const prRuns = await runChain(workflowIds.parallelRun(programId(year)));
      expect(prRuns.length).toBeGreaterThanOrEqual(12);
      for (const events of prRuns) expect(events.length).toBeLessThan(600);
      // The program's runs (the one before each forced continue-as-new and the latest): a few
      // events a night, far below the server's suggestion (4Ki events) and its 50Ki limit.
      const lengths = await Promise.all(
        programRuns.map(async (runId) => (await env.client.workflow.getHandle(year.workflowId, runId).describe()).historyLength),
      );
      for (const n of lengths) expect(n).toBeLessThan(4_096);
      console.info(
        `histories: parallel run ${prRuns.length} runs, at most ${Math.max(...prRuns.map((r) => r.length))} events; program runs ${lengths.join(', ')} events`,
      );

      const [at90, at365] = sizes;
      expect(at365!.statusBytes).toBeLessThan(at90!.statusBytes * 1.2);
    },
  );

  // The state keeps the latest 62 business days whole and counts the older ones (NightArchive).
  it('365 nights: the state the program carries across continue-as-new does not grow with the nights', () => {
    expect(sizes).toHaveLength(2);
    const [at90, at365] = sizes;
    expect(at365!.stateBytes).toBeLessThan(at90!.stateBytes * 1.2);
  });

  afterAll(async () => {
    await year?.terminate('test over').catch(() => undefined);
  });
});
