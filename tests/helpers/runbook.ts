import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import type { ActivityDeps } from '../../activities';
import { addPerson } from '../../app/people';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { Runbook, type RunbookInput, type RunbookTaskInput } from '../../domain/runbook';
import { checkOffUpdate, runbookRunQuery, type CheckOffInput, type RunbookRunInput, type RunbookRunView } from '../../domain/runbook-run';
import type { Actor } from '../../domain/people';
import type { runbookRunWorkflow } from '../../workflows';
import { programTestBed, type ProgramTestBed } from './program';
import { skipTime, uniqueSuffix } from './temporal';
import { workflowIds } from '../../domain/ids';

export type Run = WorkflowHandle<typeof runbookRunWorkflow>;
export const MIN = 60_000;

const plan = parsePlan(testPlan());
export const nurse: Actor = { personId: 'p-rb-nurse', roles: ['viewer'] };
export const doctor: Actor = { personId: 'p-rb-doctor', roles: ['viewer'] };
export const stranger: Actor = { personId: 'p-rb-stranger', roles: ['oncall'] };

export const task = (
  id: string,
  predecessors: string[],
  plannedMinutes: number,
  extra: Partial<RunbookTaskInput> = {},
): RunbookTaskInput => ({
  id,
  kind: 'manual',
  title: `Task ${id}`,
  owner: { person: 'p-rb-nurse' },
  predecessors,
  plannedMinutes,
  ...extra,
});

export const state = (v: RunbookRunView, id: string) => v.tasks.find((t) => t.id === id)!;
export const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
};

/**
 * A time-skipping test server, database, SMTP server and worker for runbook runs, with the people
 * the tests name, and the ways a test drives a run.
 */
export async function runbookTestBed(name: string, activityDeps: Partial<ActivityDeps> = {}) {
  const bed: ProgramTestBed = await programTestBed(name, activityDeps);
  for (const id of ['p-rb-nurse', 'p-rb-doctor', 'p-rb-stranger', 'p-rb-rehearsal', 'p-lead-01'])
    await addPerson(bed.db.pool, { id, displayName: `Staff ${id.slice(5)}`, email: `${id}@hospital.test`, roles: ['viewer'] });
  async function start(
    rb: Omit<RunbookInput, 'id' | 'title' | 'window'> & Partial<RunbookInput>,
    extra: Partial<RunbookRunInput> = {},
  ): Promise<Run> {
    const runbook = Runbook.parse({ id: 'night', title: 'Pilot night', window: { start: '23:30', minutes: 330 }, ...rb });
    const programId = `rb-${uniqueSuffix()}`;
    const lab = plan.departments.find((d) => d.code === 'LAB')!;
    const adapterSteps = Object.fromEntries(
      runbook.tasks
        .filter((t) => t.kind === 'adapter-step')
        .map((t) => [t.id, { department: 'LAB', step: lab.steps.find((s) => s.id === t.step)!, adapter: plan.adapters[0]! }]),
    );
    const now = await bed.env.currentTimeMs();
    const input: RunbookRunInput = {
      programId,
      runId: 'night-1',
      mode: 'live',
      runbook,
      timeZone: plan.hospital.timeZone,
      // A window that opened a minute ago, so tasks start at once (fixed-time tests name their own date).
      startDate: undefined,
      adapterSteps,
      rotas: {},
      escalation: plan.escalation,
      rehearsalRecipients: ['p-rb-rehearsal'],
      ...extra,
    };
    if (!extra.startDate) {
      const local = new Date(now + 8 * 3600_000 - MIN); // Asia/Shanghai is UTC+8 all year
      input.startDate = local.toISOString().slice(0, 10);
      input.runbook = { ...runbook, window: { ...runbook.window, start: local.toISOString().slice(11, 16) } };
    }
    return bed.env.client.workflow.start<typeof runbookRunWorkflow>('runbookRunWorkflow', {
      workflowId: workflowIds.runbookRun(programId, 'night-1'),
      taskQueue: bed.taskQueue,
      args: [input],
    });
  }

  const view = (h: Run) => h.query(runbookRunQuery);
  const checkOff = (h: Run, actor: Actor, t: string, extra: Partial<CheckOffInput> = {}) =>
    h.executeUpdate(checkOffUpdate, { args: [{ actor, task: t, channel: 'command-center', ...extra }] });
  async function until(h: Run, predicate: (v: RunbookRunView) => boolean): Promise<RunbookRunView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const v = await view(h);
      if (predicate(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out: ${v.tasks.map((t) => `${t.id}:${t.status}`).join(' ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /**
   * Waits until no activity of the run is in flight: skipping time while one is (an e-mail on its
   * way) times it out on the server's clock, and the sleep waits for its retries.
   */
  async function idle(h: Run) {
    for (let quiet = 0; quiet < 2;) {
      const d = await h.describe();
      quiet = (d.raw.pendingActivities ?? []).length === 0 ? quiet + 1 : 0;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /**
   * Moves the test server's clock by `ms`, once the run is idle. Done when the clock got there: the
   * sleep's own answer sometimes never comes once a timer it crossed started activities (the clock
   * has moved all the same).
   */
  const sleep = async (h: Run, ms: number) => {
    await idle(h);
    await skipTime(bed.env, ms);
  };
  return { bed, start, view, checkOff, until, sleep };
}
