/**
 * The program entity: its state and the few primitives every area's handlers share (audit,
 * incidents, mail, phase changes, child workflows, the handler lock). Areas live beside this
 * file (gates, waves, rollback, emergency, parallel run); workflows/program.ts wires them.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import type { Activities } from '../../activities';
import { retryPolicies } from '../retry-policies';
import { ErrorType } from '../../domain/errors';
import type { Condition, Counts, Severity } from '../../domain/escalation';
import { workflowIds } from '../../domain/ids';
import type { Plan } from '../../domain/plan';
import {
  allowedActions,
  criteriaFor,
  iso,
  type DepartmentRuntime,
  type ProgramState,
  type QueuedMail,
  type WaveRuntime,
} from '../../domain/program';
import { abortGoLiveSignal, type Actor, type DepartmentState, type ProgramPhase } from '../../domain/rollout';
import { GolivePhase, GoliveWave } from '../../domain/search-attributes';
import { roleRefusal, type AnyProgramUpdate, type InputOf } from '../../domain/program-contract';
import type { GateKey } from '../../domain/rules/gates';
import { parallelRunWorkflow } from '../parallel-run';
import { departmentGoLiveWorkflow } from '../department';
import { runbookRunWorkflow } from '../runbook';
import { rollbackWorkflow } from '../rollback';
import { scopeGrewSignal } from '../../domain/parallel-run';

const { recordAudit, recordGateDecision } = proxyActivities<Activities>({
  // Single-row inserts into PostgreSQL: seconds at most, even under load.
  startToCloseTimeout: '30s',
  // The audit trail and decision records must not be lost: retry until PostgreSQL is back
  // (both activities are idempotent on their event key).
  retry: retryPolicies.untilRecorded,
});
export { recordGateDecision };

const { prepareDepartmentNight } = proxyActivities<Activities>({
  // Two reads from PostgreSQL (the stored runbook, the plan and its rotas): seconds.
  startToCloseTimeout: '30s',
  // The wave's start waits for it, and PostgreSQL comes back: retry until it answers (a read).
  retry: retryPolicies.untilRecorded,
});

const { raiseIncident, notifyPeople } = proxyActivities<Activities>({
  // Starting an incident workflow or sending a handful of e-mails: seconds.
  startToCloseTimeout: '1m',
  // People must hear of it: retry until Temporal or SMTP answers again (both are idempotent:
  // the raise on its raise id, each e-mail on its key).
  retry: retryPolicies.untilDelivered,
});
export { notifyPeople };

type NotifyInput = Parameters<typeof notifyPeople>[0];
export type Audit = (
  actor: Actor | 'workflow',
  action: string,
  target: Record<string, string>,
  result: string,
  reason?: string,
  details?: Record<string, unknown>,
) => Promise<void>;

/** What a handler area registers for an update's contract: why not now, and what it does. */
export interface HandlerSpec<I, R> {
  /** Run by the validator (the caller hears the refusal at once) and again inside the lock. */
  check?: (input: I) => void;
  run: (input: I) => Promise<R>;
}

type ResultOf<C> = C extends { update: UpdateDefinition<infer R, infer _A, infer _N> } ? R : never;

export function refuse(type: (typeof ErrorType)[keyof typeof ErrorType], message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

export { iso };

export class ProgramContext {
  readonly programId: string;
  readonly selfId = workflowInfo().workflowId;
  /**
   * Serialises handlers and the main loop's event handling: each runs whole (its checks, its
   * state changes and its awaits) before the next one starts, so no handler reads state that
   * another is half-way through changing. Validators run outside it, so a handler re-checks.
   */
  private readonly lock = new Mutex();

  constructor(
    readonly plan: Plan,
    readonly s: ProgramState,
    /**
     * The reshaped program (patch `program-entity`, decided at start): handlers serialised,
     * e-mails sent from the mail queue after the answer, a wake-up when an action becomes
     * allowed by the clock. Runs started before it keep the old behaviour until their next
     * continue-as-new, which starts with it.
     */
    readonly v2: boolean,
  ) {
    this.programId = plan.programId;
  }

  now = () => Date.now();

  /** Runs `body` alone (v2); the old runs ran handlers as they came. */
  exclusive<T>(body: () => Promise<T>): Promise<T> {
    return this.v2 ? this.lock.runExclusive(body) : body();
  }

  /**
   * Registers the handler of an update's contract (domain/program-contract.ts: its name, input
   * and roles): the validator checks the roles and the state; the handler re-checks in the lock.
   */
  handle<C extends AnyProgramUpdate>(contract: C, spec: HandlerSpec<InputOf<C>, ResultOf<C>>): void {
    type I = InputOf<C>;
    setHandler(
      contract.update as UpdateDefinition<ResultOf<C>, [I]>,
      (input: I) =>
        this.v2
          ? this.lock.runExclusive(() => {
              // State may have changed between validation and now (another handler held the lock).
              spec.check?.(input);
              return spec.run(input);
            })
          : spec.run(input),
      {
        validator: (input: I) => {
          const refusal = roleRefusal(contract, input.actor);
          if (refusal) refuse(ErrorType.NotAllowed, refusal);
          spec.check?.(input);
        },
      },
    );
  }

  invalidState = (message: string): never =>
    refuse(ErrorType.InvalidState, message, {
      phase: this.s.phase,
      activeWave: this.s.activeWave,
      allowedActions: allowedActions(this.plan, this.s, this.now()),
    });

  criteriaFor = (key: GateKey) => criteriaFor(this.plan, this.s, key, this.now());

  audit: Audit = async (actor, action, target, result, reason, details) => {
    this.s.seq += 1;
    await recordAudit({
      eventKey: `${this.selfId}:${this.s.seq}:${action}`,
      actor: actor === 'workflow' ? 'workflow:program' : actor.personId,
      roles: actor === 'workflow' ? undefined : actor.roles,
      action,
      target: { workflowId: this.selfId, programId: this.programId, ...target },
      reason,
      result,
      details,
    });
  };

  /**
   * An incident on the plan's escalation ladder; a repeat of an open one only counts. False when
   * it could not be raised: the raise retries until Temporal answers, so only a refusal for good
   * (a non-retryable failure) lands here, and it is audited instead of holding the caller for ever.
   */
  raise = async (condition: Condition, severity: Severity, departments: string[], counts: Counts): Promise<boolean> => {
    const raiseId = uuid4();
    let workflowId: string;
    try {
      ({ workflowId } = await raiseIncident({
        raiseId,
        programId: this.programId,
        departments,
        condition,
        severity,
        counts,
        policy: { ...this.plan.escalation, timeZone: this.plan.hospital.timeZone },
        raisedBy: this.selfId,
      }));
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const type = err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'failed') : 'failed';
      await this.audit('workflow', 'incident.not-raised', { raiseId, departments: departments.join(',') || 'all' }, 'failed', type, {
        condition,
        severity,
      });
      return false;
    }
    await this.audit(
      'workflow',
      'incident.raised',
      { incidentWorkflowId: workflowId, raiseId, departments: departments.join(',') || 'all' },
      'raised',
      undefined,
      { condition, severity },
    );
    return true;
  };

  /**
   * An e-mail decided now. v2: queued in the state and sent by the mail loop after the handler
   * answered (a decision never waits on SMTP); before: sent here, the handler waiting for it.
   */
  mail = async (m: QueuedMail): Promise<void> => {
    if (this.v2) {
      (this.s.outbox ??= []).push(m);
      return;
    }
    await notifyPeople(m as unknown as NotifyInput);
  };

  setPhase = (phase: ProgramPhase) => {
    this.s.phase = phase;
    upsertSearchAttributes([
      { key: GolivePhase, value: phase },
      { key: GoliveWave, value: this.s.activeWave ? this.s.activeWave : null },
    ]);
  };

  setDepartment = (d: DepartmentRuntime, state: DepartmentState, note?: string) => {
    d.state = state;
    d.history.push({ atMs: this.now(), state, attempt: d.attempt, note });
  };

  pause = async (reason: string) => {
    if (this.s.phase === 'paused') return;
    this.s.pausedFrom = this.s.phase;
    this.s.pausedReason = reason;
    this.setPhase('paused');
    await this.audit('workflow', 'program.paused', {}, 'paused', reason);
  };

  // ---------------------------------------------------------------- child workflows

  parallelRunHandle = () => getExternalWorkflowHandle(workflowIds.parallelRun(this.programId));

  /** The parallel run starts with the pilot and grows with every wave. */
  parallelRunScope = async (wave: WaveRuntime) => {
    const { plan, s } = this;
    const departments = plan.waves[wave.wave - 1]!.departments;
    if (!s.parallelRun.started) {
      s.parallelRun.started = true;
      await startChild(parallelRunWorkflow, {
        workflowId: workflowIds.parallelRun(this.programId),
        args: [
          {
            programId: this.programId,
            programWorkflowId: this.selfId,
            timeZone: plan.hospital.timeZone,
            settings: plan.parallelRun,
            scope: [{ wave: wave.wave, departments, liveAtMs: wave.wentLiveAtMs! }],
          },
        ],
        // It reports by signal and must outlive this run when the program continues as new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      await this.audit('workflow', 'parallel-run.started', { wave: String(wave.wave) }, 'started');
      return;
    }
    await this.parallelRunHandle().signal(scopeGrewSignal, { wave: wave.wave, departments, liveAtMs: wave.wentLiveAtMs! });
  };

  startDepartment = async (d: DepartmentRuntime) => {
    const { plan } = this;
    d.attempt += 1;
    d.failure = undefined;
    this.setDepartment(d, 'going-live', `attempt ${d.attempt}`);
    const dept = plan.departments.find((x) => x.code === d.code)!;
    const adapterIds = new Set(dept.steps.map((st) => st.adapter));
    const goLiveWorkflowId = workflowIds.departmentGoLive(this.programId, d.code, d.attempt);
    await this.cancelNight(d, 'the department is retried');
    d.runbook = undefined;
    d.awaitingRunbook = false;
    // Plans from before could not name a runbook; the marker keeps that branch out of their histories.
    if (dept.runbook && patched('department-runbook')) {
      if (!(await this.startDepartmentNight(d, dept.runbook, goLiveWorkflowId))) return;
    }
    await startChild(departmentGoLiveWorkflow, {
      workflowId: goLiveWorkflowId,
      args: [
        {
          programId: this.programId,
          programWorkflowId: this.selfId,
          department: d.code,
          wave: d.wave,
          attempt: d.attempt,
          steps: dept.steps,
          adapters: plan.adapters.filter((a) => adapterIds.has(a.id)),
          skipSteps: d.completedSteps,
        },
      ],
      // The child reports by signal; it must outlive this run when the program continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  };

  /**
   * The department's live night: a run of its stored runbook, started with the go-live (before
   * its steps, so the runbook's adapter steps and the go-live's share keys from the first). The
   * department counts as live once the run reports it finished. A night that cannot start (no
   * stored runbook, a step or rota the plan lacks) fails the department like a failed step, before
   * any step ran: the lead fixes the runbook and retries the department.
   */
  startDepartmentNight = async (d: DepartmentRuntime, runbookId: string, goLiveWorkflowId: string): Promise<boolean> => {
    const runId = `live-${d.code}-${d.attempt}`;
    const prepared = await prepareDepartmentNight({ programId: this.programId, department: d.code, runbookId, runId, goLiveWorkflowId });
    if (!prepared.ok) return this.nightNotStarted(d, runbookId, runId, prepared.reason);
    try {
      await startChild(runbookRunWorkflow, {
        workflowId: workflowIds.runbookRun(this.programId, runId),
        args: [prepared.input],
        // It reports by signal, and outlives this run when the program continues as new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // The API keeps `live-` run ids for these nights; one there all the same is not this night.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return this.nightNotStarted(d, runbookId, runId, `a run ${runId} exists already`);
    }
    d.runbook = { runId, status: 'running' };
    await this.audit('workflow', 'department.runbook-started', { department: d.code, runbookId, runId }, 'running', undefined, {
      attempt: d.attempt,
      version: prepared.input.runbookVersion,
    });
    return true;
  };

  private nightNotStarted = async (d: DepartmentRuntime, runbookId: string, runId: string, reason: string): Promise<false> => {
    d.runbook = { runId, status: 'failed', reason };
    d.failure = { stepId: 'runbook', reason: `the night's runbook cannot start: ${reason}`, atMs: this.now() };
    d.history.push({ atMs: this.now(), state: d.state, attempt: d.attempt, note: 'runbook not started' });
    await this.audit('workflow', 'department.runbook-not-started', { department: d.code, runbookId }, 'failed', d.failure.reason, {
      attempt: d.attempt,
    });
    await this.raise('step-failed', 'sev2', [d.code], { failedSteps: 1, attempts: d.attempt });
    return false;
  };

  /**
   * A night still running for a department that is rolled back or retried is cancelled: its
   * adapter steps share the go-live's keys, and must not switch a system behind the program's back.
   */
  cancelNight = async (d: DepartmentRuntime, why: string) => {
    if (d.runbook?.status !== 'running') return;
    d.runbook.status = 'cancelled';
    d.runbook.reason = why;
    // A night that has just finished cannot be cancelled: its report arrives and changes nothing.
    await getExternalWorkflowHandle(workflowIds.runbookRun(this.programId, d.runbook.runId))
      .cancel()
      .catch(() => undefined);
    await this.audit('workflow', 'department.runbook-cancelled', { department: d.code, runId: d.runbook.runId }, 'cancelled', why, {
      attempt: d.attempt,
    });
  };

  startRollback = async (d: DepartmentRuntime, note: string) => {
    const { plan } = this;
    await this.cancelNight(d, 'the department is rolled back');
    d.rollbacks += 1;
    d.rollbackPending = false;
    d.rollbackFailure = undefined;
    this.setDepartment(d, 'rolling-back', note);
    const steps = plan.departments.find((x) => x.code === d.code)!.steps;
    const done = d.completedSteps.map((id) => steps.find((st) => st.id === id)!);
    const adapterIds = new Set(done.map((st) => st.adapter));
    await startChild(rollbackWorkflow, {
      workflowId: workflowIds.rollback(this.programId, d.code, d.rollbacks),
      args: [
        {
          programId: this.programId,
          programWorkflowId: this.selfId,
          department: d.code,
          attempt: d.attempt,
          rollback: d.rollbacks,
          done,
          adapters: plan.adapters.filter((a) => adapterIds.has(a.id)),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  };

  /** Rolls a department back; one still running a go-live step is stopped after that step first. */
  rollBack = async (d: DepartmentRuntime, note: string) => {
    // A department waiting on its night's runbook has finished its go-live: nothing to stop, roll back at once.
    if (d.state === 'going-live' && !d.failure && !d.awaitingRunbook) {
      d.rollbackPending = true;
      this.setDepartment(d, 'rolling-back', `${note}; stopping the go-live after its current step`);
      // A go-live that has just finished cannot be stopped: its report starts the rollback.
      await this.signalGoLive(d, abortGoLiveSignal);
      return;
    }
    d.awaitingRunbook = false;
    await this.startRollback(d, note);
  };

  goLiveHandle = (d: DepartmentRuntime) => getExternalWorkflowHandle(workflowIds.departmentGoLive(this.programId, d.code, d.attempt));

  /**
   * Signals a department's go-live; false when it has finished already (its report is on its
   * way), which a v2 handler takes in its stride: the old runs failed the whole update there.
   */
  signalGoLive = async (d: DepartmentRuntime, signal: SignalDefinition): Promise<boolean> => {
    try {
      await this.goLiveHandle(d).signal(signal);
      return true;
    } catch (err) {
      if (this.v2 && err instanceof ApplicationFailure && err.type === 'ExternalWorkflowExecutionNotFound') return false;
      throw err;
    }
  };
}
