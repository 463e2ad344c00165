/**
 * One run of a runbook (the night itself, or a rehearsal of it): its input, its state, the
 * messages of its workflow, and the pure rules for who may check a task off. The workflow
 * (workflows/runbook.ts) and the API both import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { Code, onCallAt, type EscalationPolicy, type Rota } from './escalation';
import { Actor, hasAnyRole } from './people';
import { roleGroups } from './permissions';
import type { Adapter, Step } from './plan';
import { CheckOffChannel, checkedOffKinds, type Runbook, type RunbookTask, type RunMode } from './runbook';
import type { Schedule } from './runbook-schedule';

export interface RunbookRunInput {
  programId: string;
  /** The run's code: unique within the program (e.g. pilot-dress-1, pilot-night). */
  runId: string;
  mode: RunMode;
  runbook: Runbook;
  /** The stored runbook's version the run ran (absent: the runbook came with the request). */
  runbookVersion?: number;
  timeZone: string;
  /** The hospital-local date the window opens on; by default the date at the run's start. */
  startDate?: string;
  /** Rehearsals only: the night compressed this many times (1: real clock times). */
  speed?: number;
  /** The plan's department steps that adapter-step tasks run, by task id. */
  adapterSteps: Record<string, { department: string; step: Step; adapter: Adapter }>;
  /** The rotas that owners name, as they stand when the run starts. */
  rotas: Record<string, Rota>;
  /** The plan's ladder: a late critical task of a live night is raised on it. */
  escalation: Omit<EscalationPolicy, 'timeZone'>;
  /** Who receives a rehearsal's e-mails instead of the owners (the rehearsal's own list). */
  rehearsalRecipients: string[];
  /**
   * The window opens when the run starts, not at its clock time (a department's night started
   * with its wave: the lead starting the wave is the night starting); fixed times move with it.
   */
  opensAtStart?: boolean;
  /** A department's live night started by the program with its wave: the department it makes live. */
  department?: string;
  /**
   * Idempotency keys of adapter steps by task id: the department's go-live runs the same steps
   * under these keys, so the hospital system does each once, whichever asks first.
   */
  adapterStepKeys?: Record<string, string>;
}

export type TaskStatus = 'waiting' | 'ready' | 'running' | 'done' | 'failed';

export interface SignOff {
  personId: string;
  channel: CheckOffChannel;
  /** When it was signed: for a transcribed paper check-off, the time on the paper. */
  atMs: number;
  /** A paper check-off back-entered by a scribe (channel `paper`). */
  transcribed?: true;
  /** The scribe who entered it. */
  transcribedBy?: string;
  /** When the scribe entered it (atMs is the paper's time). */
  enteredAtMs?: number;
}

export interface TaskState {
  status: TaskStatus;
  readyAtMs?: number;
  doneAtMs?: number;
  /** The people who own it, resolved when it became ready (a rota's on-call then). */
  owners: string[];
  signOffs: SignOff[];
  result?: 'pass' | 'fail';
  /** A validation's evidence: an opaque reference (a ticket, a document id), never content. */
  evidence?: string;
  /** Why an adapter step failed, in codes. */
  failure?: string;
  escalated?: boolean;
}

export interface RunbookRunView {
  programId: string;
  runId: string;
  /** The runbook's id: runs of the same runbook are compared in the rehearsal report. */
  runbookId: string;
  /** The stored version it ran, when it named a stored runbook. */
  runbookVersion?: number;
  mode: RunMode;
  speed: number;
  startMs: number;
  status: 'running' | 'finished';
  /** Each task as the runbook has it (so the run can be exported as the runbook it ran) with its state. */
  tasks: (RunbookTask & TaskState)[];
  schedule: Schedule;
  /** Late critical tasks escalated (live: raised as incidents; rehearsal: told to the rehearsal's list). */
  escalations: { taskId: string; atMs: number; raised: boolean }[];
}

export const CheckOffInput = z.strictObject({
  actor: Actor,
  task: Code,
  channel: CheckOffChannel,
  result: z.enum(['pass', 'fail']).optional(),
  evidence: Code.optional(),
  /**
   * Paper check-offs back-entered by a scribe: whose signature the paper carries, when the paper
   * says it was done, and for a two-person task the second signature on the same sheet.
   */
  onPaper: z
    .strictObject({
      personId: z.string().min(1).max(64),
      atMs: z.number().int().min(0),
      secondPersonId: z.string().min(1).max(64).optional(),
    })
    .optional(),
});
export type CheckOffInput = z.infer<typeof CheckOffInput>;

export const checkOffUpdate = defineUpdate<TaskState, [CheckOffInput]>('checkOffTask');
export const runbookRunQuery = defineQuery<RunbookRunView>('runbookRun');

/** Who is on the hook for a task that becomes ready at `atMs`. */
export function ownersAt(task: Pick<RunbookTask, 'owner'>, rotas: Record<string, Rota>, atMs: number): string[] {
  if ('person' in task.owner) return [task.owner.person];
  const rota = rotas[task.owner.rota];
  return rota ? onCallAt(rota, atMs).people : [];
}

/** A refused check-off: whether the caller may not (403) or the task cannot now (409), and why. */
export interface CheckOffRefusal {
  kind: 'not-allowed' | 'invalid-state';
  message: string;
}

/**
 * Why this check-off is refused, or null. A task's owners check it off; a lead may check off any
 * (the command center acts for a team on the floor); a paper check-off is entered by a lead as
 * scribe and names whose signature it carries. The second signature of a two-person task is
 * someone else's.
 */
export function checkOffRefusal(
  task: Pick<RunbookTask, 'kind' | 'signOff'>,
  state: TaskState,
  input: CheckOffInput,
  context: { nowMs?: number; waitingFor?: string[] } = {},
): CheckOffRefusal | null {
  const cannot = (message: string): CheckOffRefusal => ({ kind: 'invalid-state', message });
  const mayNot = (message: string): CheckOffRefusal => ({ kind: 'not-allowed', message });
  if (!checkedOffKinds.includes(task.kind)) return cannot(`task ${input.task} is a ${task.kind}: it finishes by itself`);
  // A scribe works through a pile of sheets in any order: say which ones must be entered first.
  if (state.status === 'waiting' && input.channel === 'paper' && context.waitingFor?.length)
    return cannot(`task ${input.task} is not ready: enter the check-offs of ${context.waitingFor.join(', ')} first`);
  if (state.status === 'waiting') return cannot(`task ${input.task} is not ready: its predecessors are not done`);
  if (state.status === 'done') return cannot(`task ${input.task} is done already`);
  if (state.status === 'failed' && task.kind !== 'validation') return cannot(`task ${input.task} failed`);
  if (task.kind === 'validation' && !input.result) return cannot('result: a validation passes or fails');
  if (task.kind !== 'validation' && input.result) return cannot('result: only a validation has a result');
  const lead = hasAnyRole(input.actor, roleGroups.leads);
  if (input.channel === 'paper') {
    if (!lead) return mayNot('channel: a paper check-off is entered by a cutover lead');
    if (!input.onPaper) return cannot('onPaper: a paper check-off names whose signature the paper carries');
    if (context.nowMs !== undefined && input.onPaper.atMs > context.nowMs)
      return cannot('onPaper.atMs: the time on the paper is later than now');
    const second = input.onPaper.secondPersonId;
    if (second !== undefined && task.signOff !== 2) return cannot('onPaper.secondPersonId: only a two-person task has a second signature');
    if (second !== undefined && state.signOffs.length > 0)
      return cannot('onPaper.secondPersonId: the task has its first signature already; enter the second alone');
    if (second === input.onPaper.personId)
      return cannot('onPaper.secondPersonId: the second signature of a two-person task is another person');
  } else if (input.onPaper) return cannot('onPaper: only a paper check-off carries one');
  const signer = input.onPaper?.personId ?? input.actor.personId;
  if (!lead && !state.owners.includes(signer)) return mayNot(`task ${input.task} is not yours: its owners check it off`);
  if (state.signOffs.some((s) => s.personId === signer)) return cannot('the second signature of a two-person task is another person');
  return null;
}

/**
 * What the program keeps of a finished run: enough for the readiness criterion and for a
 * department's go-live waiting on its night (codes and counts only).
 */
export interface RunSummary {
  runId: string;
  runbookId: string;
  runbookVersion?: number;
  mode: RunMode;
  status: RunbookRunView['status'];
  startMs: number;
  minutesOverWindow: number;
  /** Validations that did not pass (failed, or never checked). */
  validationsNotPassed: number;
}

/**
 * A run tells its program that it finished (the program keeps the summary for the readiness
 * criterion, and a department waiting on its night goes live); `department`: the live run the
 * program started for that department's go-live.
 */
export const runbookRunFinishedSignal = defineSignal<[RunSummary & { department?: string }]>('runbookRunFinished');
