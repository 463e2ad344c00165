/**
 * One run of a runbook: the go-live night (or its rehearsal) as a live DAG. Tasks become ready
 * when their predecessors are done and their fixed time has come; adapter steps and milestones
 * finish by themselves, people check the rest off. The schedule (critical path, forecast end) is
 * recomputed from what happened, and a critical task running late is escalated once. A rehearsal
 * dry-runs the adapters, mails only its own list, and raises no incident.
 *
 * State changes happen in the handlers before their first await; e-mails are queued and sent by
 * the main loop, so a check-off answers without waiting on SMTP.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MailMessage } from '../activities/mail/templates';
import { ErrorType, nonRetryableErrorTypes } from '../domain/errors';
import {
  checkOffRefusal,
  checkOffUpdate,
  ownersAt,
  runbookRunFinishedSignal,
  runbookRunQuery,
  type RunbookRunInput,
  type TaskState,
} from '../domain/runbook-run';
import { runSummary } from '../domain/runbook-report';
import { workflowIds } from '../domain/ids';
import type { RunbookRunView } from '../domain/runbook-run';
import { checkedOffKinds, endTask, topologicalOrder, type RunbookTask } from '../domain/runbook';
import { durationMs, lateCriticalTasks, notBeforeInstants, schedule } from '../domain/runbook-schedule';
import { localDateTimeToMs, businessDayOf } from '../domain/rules/time';
import { describeFailure } from './department';
import { retryPolicies } from './retry-policies';

const { recordAudit, recordRunbookRun, recordRunbookPackets } = proxyActivities<Activities>({
  // A single-row insert (the packets: one statement of a few rows): seconds at most.
  startToCloseTimeout: '30s',
  // Every check-off is evidence for the night's record, the finished run feeds the rehearsal
  // report, the paper packets are the night's fallback: retry until PostgreSQL is back (all
  // idempotent on their keys).
  retry: retryPolicies.untilRecorded,
});

const { raiseIncident, notifyPeople } = proxyActivities<Activities>({
  // Starting an incident workflow or sending a handful of e-mails: seconds.
  startToCloseTimeout: '1m',
  // Owners must hear that their task is theirs, the ladder that one is late: retry until Temporal
  // or SMTP answers again (the raise is idempotent on its raise id, each e-mail on its key).
  retry: retryPolicies.untilDelivered,
});

const { runStep } = proxyActivities<Activities>({
  // A hospital system's admin API answers in seconds; 2 minutes bounds a hung call.
  startToCloseTimeout: '2m',
  // As a department's go-live steps: idempotent, five tries over about a minute, then the task
  // fails and the command center decides (a night has no time for silent retries).
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes },
});

interface QueuedMail {
  key: string;
  to: string[];
  message: MailMessage;
}

export async function runbookRunWorkflow(input: RunbookRunInput): Promise<RunbookRunView> {
  const { runbook, timeZone, mode } = input;
  const rehearsal = mode === 'rehearsal';
  const speed = rehearsal ? (input.speed ?? 1) : 1;
  const selfId = workflowInfo().workflowId;
  const tasks = new Map(runbook.tasks.map((t) => [t.id, t]));
  const order = topologicalOrder(runbook.tasks);
  const end = endTask(runbook);

  // The window opens at its local time on the start date; a compressed rehearsal opens now and
  // shrinks the distances to the fixed times.
  const startDate = input.startDate ?? businessDayOf(Date.now(), timeZone);
  const nominalStart = localDateTimeToMs(`${startDate}T${runbook.window.start}`, timeZone);
  const startMs = speed > 1 || input.opensAtStart ? Date.now() : nominalStart;
  const notBefore = Object.fromEntries(
    Object.entries(notBeforeInstants(runbook, nominalStart, timeZone, startDate, speed)).map(([id, at]) => [
      id,
      at - nominalStart + startMs,
    ]),
  );

  const state: Record<string, TaskState> = Object.fromEntries(
    runbook.tasks.map((t) => [t.id, { status: 'waiting', owners: [], signOffs: [] }]),
  );
  // Tasks whose done time is earlier than the moment the workflow learnt of it (the paper's time,
  // typed in later): their followers started when the paper says, not when the scribe typed.
  const backdated = new Set<string>();
  const escalations: RunbookRunView['escalations'] = [];
  const outbox: QueuedMail[] = [];
  let dirty = true;

  const audit = (actor: string, action: string, target: Record<string, string>, result: string, details?: Record<string, unknown>) =>
    recordAudit({
      eventKey: `${selfId}:${action}:${Object.values(target).join(':')}:${result}`,
      actor,
      action,
      target: { workflowId: selfId, programId: input.programId, runId: input.runId, ...target },
      result,
      details: { mode, ...details },
    });

  const progress = () => Object.fromEntries(Object.entries(state).map(([id, s]) => [id, { readyAtMs: s.readyAtMs, doneAtMs: s.doneAtMs }]));
  const currentSchedule = () => schedule({ runbook, startMs, notBefore, progress: progress(), nowMs: Date.now(), speed });

  const mail = (task: RunbookTask, event: 'ready' | 'notification' | 'late' | 'failed', people: string[], minutesLate?: number) => {
    const s = state[task.id]!;
    const since = s.readyAtMs ?? Date.now();
    outbox.push({
      key: `${selfId}/${task.id}/${event}`,
      // A rehearsal tells its own list, never the night's owners.
      to: rehearsal ? input.rehearsalRecipients : people,
      message: {
        template: 'runbook-task',
        event,
        programId: input.programId,
        runId: input.runId,
        taskId: task.id,
        taskKind: task.kind,
        department: task.department,
        since: new Date(since).toISOString(),
        due: new Date(since + durationMs(task, speed)).toISOString(),
        timeZone,
        signatures: task.signOff,
        minutesLate,
        rehearsal,
      },
    });
  };

  const finish = (id: string, status: 'done' | 'failed') => {
    const s = state[id]!;
    s.status = status;
    if (status === 'done') s.doneAtMs = Date.now();
    dirty = true;
  };

  /** Starts an adapter step; its outcome lands in the state whenever it comes. */
  const runAdapterStep = (task: RunbookTask) => {
    const call = input.adapterSteps[task.id];
    if (!call) {
      state[task.id]!.failure = 'InvalidInput: no step of the plan for this task';
      finish(task.id, 'failed');
      return;
    }
    state[task.id]!.status = 'running';
    void runStep({
      programId: input.programId,
      department: call.department,
      attempt: 1,
      direction: 'do',
      step: call.step,
      adapter: call.adapter,
      idempotencyKey: input.adapterStepKeys?.[task.id] ?? `${selfId}:${task.id}`,
      dryRun: rehearsal,
    }).then(
      () => finish(task.id, 'done'),
      (err: unknown) => {
        state[task.id]!.failure = describeFailure(err);
        finish(task.id, 'failed');
        mail(task, 'failed', state[task.id]!.owners);
      },
    );
  };

  /** Makes every task whose time has come ready; returns whether anything changed. */
  const advance = (): boolean => {
    let changed = false;
    const now = Date.now();
    for (const id of order) {
      const s = state[id]!;
      const task = tasks.get(id)!;
      if (s.status !== 'waiting') continue;
      if (!task.predecessors.every((p) => state[p]!.status === 'done')) continue;
      if (now < Math.max(startMs, notBefore[id] ?? 0)) continue;
      changed = true;
      s.status = 'ready';
      s.readyAtMs = task.predecessors.some((p) => backdated.has(p))
        ? Math.max(startMs, notBefore[id] ?? 0, ...task.predecessors.map((p) => state[p]!.doneAtMs!))
        : now;
      if (s.readyAtMs < now) backdated.add(id);
      s.owners = ownersAt(task, input.rotas, now);
      if (task.kind === 'milestone') {
        finish(id, 'done');
        // A milestone is reached when its predecessors were done, on paper or not.
        s.doneAtMs = s.readyAtMs;
      } else if (task.kind === 'notification') {
        mail(task, 'notification', s.owners);
        finish(id, 'done');
      } else if (task.kind === 'adapter-step') runAdapterStep(task);
      else mail(task, 'ready', s.owners);
    }
    return changed;
  };

  setHandler(runbookRunQuery, () => view());
  setHandler(
    checkOffUpdate,
    async (req) => {
      const task = tasks.get(req.task)!;
      const s = state[req.task]!;
      if (s.status === 'failed') s.signOffs = []; // a validation that failed is validated again from scratch
      const paper = req.onPaper;
      const signers = paper ? [paper.personId, ...(paper.secondPersonId ? [paper.secondPersonId] : [])] : [req.actor.personId];
      for (const personId of signers)
        s.signOffs.push({
          personId,
          channel: req.channel,
          atMs: paper?.atMs ?? Date.now(),
          ...(paper ? { transcribed: true as const, transcribedBy: req.actor.personId, enteredAtMs: Date.now() } : {}),
        });
      if (req.evidence) s.evidence = req.evidence;
      const signed = s.signOffs.length >= task.signOff;
      if (signed && req.result === 'fail') {
        s.result = 'fail';
        finish(req.task, 'failed');
      } else if (signed) {
        s.result = req.result;
        finish(req.task, 'done');
        // A paper check-off keeps the time on the paper: the schedule counts the night as it was.
        if (paper) {
          s.doneAtMs = Math.min(s.doneAtMs!, Math.max(paper.atMs, s.readyAtMs ?? 0));
          if (s.doneAtMs < Date.now()) backdated.add(req.task);
        }
      }
      const result = s.status === 'done' ? 'done' : s.status === 'failed' ? 'failed' : 'signed';
      await audit(req.actor.personId, 'runbook.task-checked-off', { task: req.task, signature: String(s.signOffs.length) }, result, {
        channel: req.channel,
        ...(paper
          ? {
              transcribed: true,
              signedBy: paper.personId,
              ...(paper.secondPersonId ? { secondSigner: paper.secondPersonId } : {}),
              paperAtMs: paper.atMs,
            }
          : {}),
        ...(req.evidence ? { evidence: req.evidence } : {}),
      });
      return { ...s, owners: [...s.owners], signOffs: s.signOffs.map((x) => ({ ...x })) };
    },
    {
      validator: (req) => {
        const task = tasks.get(req.task);
        if (!task) throw ApplicationFailure.create({ type: ErrorType.InvalidInput, message: `task: no task ${req.task} in this runbook` });
        const waitingFor = task.predecessors.filter((p) => state[p]!.status !== 'done');
        const refusal = checkOffRefusal(task, state[req.task]!, req, { nowMs: Date.now(), waitingFor });
        if (refusal)
          throw ApplicationFailure.create({
            type: refusal.kind === 'not-allowed' ? ErrorType.NotAllowed : ErrorType.InvalidState,
            message: refusal.message,
          });
      },
    },
  );

  const view = (): RunbookRunView => ({
    programId: input.programId,
    runId: input.runId,
    runbookId: runbook.id,
    ...(input.runbookVersion !== undefined ? { runbookVersion: input.runbookVersion } : {}),
    mode,
    speed,
    startMs,
    status: state[end]!.status === 'done' ? 'finished' : 'running',
    tasks: runbook.tasks.map((t) => ({
      ...t,
      ...state[t.id]!,
    })),
    schedule: currentSchedule(),
    escalations,
  });

  /** Late critical tasks, each escalated once: live on the plan's ladder, a rehearsal to its own list. */
  const escalateLate = async () => {
    for (const late of lateCriticalTasks(currentSchedule(), runbook.lateAfterMinutes)) {
      const s = state[late.id]!;
      if (s.escalated) continue;
      s.escalated = true;
      const task = tasks.get(late.id)!;
      let raised = false;
      if (!rehearsal) {
        await raiseIncident({
          raiseId: `${selfId}:late:${late.id}`,
          programId: input.programId,
          departments: task.department ? [task.department] : [],
          condition: 'runbook-task-late',
          severity: 'sev2',
          counts: { minutesOverdue: late.overrunMinutes },
          policy: { ...input.escalation, timeZone },
          raisedBy: selfId,
        });
        raised = true;
      }
      escalations.push({ taskId: late.id, atMs: Date.now(), raised });
      mail(task, 'late', s.owners, late.overrunMinutes);
      await audit('workflow', 'runbook.task-late', { task: late.id }, raised ? 'raised' : 'rehearsal-told', {
        minutesLate: late.overrunMinutes,
      });
    }
  };

  /** When the loop must look again without being woken: the next fixed time, the next task to turn late. */
  const nextWake = (): number | undefined => {
    const now = Date.now();
    const times: number[] = [];
    for (const id of order) {
      const s = state[id]!;
      const task = tasks.get(id)!;
      if (s.status === 'waiting' && (notBefore[id] ?? startMs) > now) times.push(notBefore[id] ?? startMs);
      if ((s.status === 'ready' || s.status === 'running') && !s.escalated && s.readyAtMs !== undefined)
        times.push(s.readyAtMs + durationMs(task, speed) + Math.round((runbook.lateAfterMinutes * 60_000) / speed) + 1);
    }
    const later = times.filter((t) => t > now);
    return later.length > 0 ? Math.min(...later) : undefined;
  };

  await audit('workflow', 'runbook.run-started', {}, 'started', {
    tasks: runbook.tasks.length,
    speed,
    checkedOff: runbook.tasks.filter((t) => checkedOffKinds.includes(t.kind)).length,
  });
  // The paper packets are stored beside the night, never holding it up: a PostgreSQL outage at
  // the start delays the packets, not the first tasks. Runs started before packets existed have none.
  const packets = patched('runbook-paper-packets')
    ? recordRunbookPackets({ run: input, startMs, notBefore, speed }).then(
        () => 'stored',
        () => 'failed',
      )
    : undefined;
  while (state[end]!.status !== 'done') {
    dirty = false;
    while (advance());
    await escalateLate();
    while (outbox.length > 0) {
      const m = outbox.shift()!;
      if (m.to.length > 0) await notifyPeople({ personIds: m.to, message: m.message, keyPrefix: m.key });
    }
    const wake = nextWake();
    if (wake === undefined) await condition(() => dirty || outbox.length > 0);
    else await condition(() => dirty || outbox.length > 0, wake - Date.now());
  }
  // The check-off that finished the night is still writing its audit entry: it answers first.
  await condition(allHandlersFinished);
  await packets;
  const done = view();
  await recordRunbookRun(done);
  await audit('workflow', 'runbook.run-finished', {}, 'finished', {
    minutesOverWindow: done.schedule.minutesOverWindow,
    escalations: escalations.length,
  });
  // The program keeps what a gate's rehearsal criterion and a department waiting on its night need.
  if (patched('runbook-run-reports-to-program'))
    await getExternalWorkflowHandle(workflowIds.program(input.programId))
      .signal(runbookRunFinishedSignal, { ...runSummary(done), ...(input.department ? { department: input.department } : {}) })
      // A program that has ended (or a run started without one, in tests) has nothing to learn.
      .catch(() => undefined);
  return done;
}
