import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { nonRetryableErrorTypes } from '../domain/errors';
import { GoliveDepartment, GoliveProgram, GoliveWave } from '../domain/search-attributes';
import type { Adapter, Step } from '../domain/plan';
import { abortGoLiveSignal, departmentReportSignal, pauseStepsSignal, resumeStepsSignal, type DepartmentReport } from '../domain/rollout';

const { runStep } = proxyActivities<Activities>({
  // A hospital system's admin API answers in seconds; 2 minutes bounds a hung call.
  startToCloseTimeout: '2m',
  // Steps are idempotent (one key per step and attempt), so retrying is safe. Five tries over
  // about a minute, then the department stops and the lead decides: a half-switched
  // department must not sit in silent retries for hours.
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes },
});

export interface DepartmentGoLiveInput {
  programId: string;
  programWorkflowId: string;
  department: string;
  wave: number;
  attempt: number;
  steps: Step[];
  adapters: Adapter[];
  /** Steps an earlier attempt completed: not run again. */
  skipSteps: string[];
}

/** The failure in a form fit for people: the failure type and our own message (codes only). */
export function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`.slice(0, 300);
  return `${(cause as Error)?.name ?? 'Error'}: ${(cause as Error)?.message ?? 'unknown'}`.slice(0, 300);
}

/**
 * One department's go-live: its steps in order through the adapters. A failed step stops
 * this department only; the program decides what happens next. Reports to the program by
 * signal, so the program may continue-as-new while this runs.
 */
export async function departmentGoLiveWorkflow(input: DepartmentGoLiveInput): Promise<DepartmentReport> {
  let paused = false;
  let aborted = false;
  setHandler(pauseStepsSignal, () => void (paused = true));
  setHandler(resumeStepsSignal, () => void (paused = false));
  setHandler(abortGoLiveSignal, () => void (aborted = true));
  upsertSearchAttributes([
    { key: GoliveProgram, value: input.programId },
    { key: GoliveDepartment, value: [input.department] },
    { key: GoliveWave, value: input.wave },
  ]);

  const adapters = new Map(input.adapters.map((a) => [a.id, a]));
  const completed = [...input.skipSteps];
  let report: DepartmentReport = { department: input.department, attempt: input.attempt, outcome: 'live', completedSteps: completed };
  for (const step of input.steps) {
    if (completed.includes(step.id)) continue;
    // An emergency pauses between steps: the running one finishes, no new one starts.
    await condition(() => !paused || aborted);
    if (aborted) {
      report = { ...report, outcome: 'aborted', completedSteps: completed };
      break;
    }
    try {
      await runStep({
        programId: input.programId,
        department: input.department,
        attempt: input.attempt,
        direction: 'do',
        step,
        adapter: adapters.get(step.adapter)!,
        idempotencyKey: `${workflowInfo().workflowId}/${step.id}/do`,
      });
      completed.push(step.id);
    } catch (err) {
      report = { ...report, outcome: 'failed', completedSteps: completed, failure: { stepId: step.id, reason: describeFailure(err) } };
      break;
    }
  }
  await getExternalWorkflowHandle(input.programWorkflowId).signal(departmentReportSignal, report);
  return report;
}
