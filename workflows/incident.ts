/**
 * The incident workflow: the ladder's loop over the entity in workflows/incident/ (context holds
 * the state and shared primitives, ladder the climb, handlers the query, signal and updates).
 */
import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../domain/errors';
import { ackTimeoutMs, IncidentInput, startPosition, type IncidentStatus } from '../domain/escalation';
import { incidentContext, openIncident, type IncidentProgress } from './incident/context';
import { climbOnFrom, notifyLevel, tellLeadership } from './incident/ladder';
import { registerIncidentHandlers } from './incident/handlers';

export type IncidentWorkflowInput = IncidentInput & { resume?: IncidentProgress };

/**
 * One incident: notify the ladder level by level until someone acknowledges, climb again when
 * the owner does not resolve in time, close on resolution. Sends run beside the ladder's timers,
 * never in front of them: an SMTP outage delays e-mails, not the escalation.
 */
export async function incidentWorkflow(raw: IncidentWorkflowInput): Promise<IncidentStatus> {
  const parsed = IncidentInput.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      message: 'incident input does not fit its schema',
      nonRetryable: true,
    });
  const input = parsed.data;
  const { policy, severity } = input;
  const info = workflowInfo();
  // Decided once, at the start: a patch marker asked for later, from an e-mail cancelled in the
  // activation that completes the workflow, would be a command after completion (the test server
  // refused that activation: "invalid history builder state for action").
  const recordSendStopped = patched('incident-send-stopped');
  const ctx = incidentContext(input, raw.resume, info.workflowId, recordSendStopped);
  const { s, incidentId, keyBase, background, undelivered, event, flush, until, notice, send, facts, tellEveryone, statusNow } = ctx;
  registerIncidentHandlers(ctx);
  if (!raw.resume) {
    await openIncident({
      incidentId,
      workflowId: info.workflowId,
      programId: input.programId,
      departments: input.departments,
      condition: input.condition,
      severity,
      counts: input.counts,
      ...(input.domains?.length ? { domains: input.domains } : {}),
      raisedBy: input.raisedBy,
      raisedAtMs: s.raisedAtMs,
    });
    if (policy.severities[severity].leadershipAtOnce) await tellLeadership(ctx, 'at-once', 1);
  }

  // Handlers change the status between awaits: read it through a function, not a narrowed field.
  const resolved = () => s.status === 'resolved';
  while (!resolved()) {
    await flush();
    if (resolved()) break;
    if (s.phase === 'notify') {
      await notifyLevel(ctx, s.pos!);
      if (s.status === 'open') {
        s.deadlineMs = s.stepAtMs + ackTimeoutMs(policy, s.pos!.level);
        s.phase = 'await-ack';
      }
    } else if (s.phase === 'await-ack') {
      if ((await until(() => s.status !== 'open', s.deadlineMs)) !== 'timeout') continue;
      const pos = s.pos!;
      for (const [key, u] of undelivered) {
        if (u.level === pos.level && u.round === pos.round)
          event({
            kind: 'delivery-overdue',
            key: `${key}/overdue`,
            atMs: s.deadlineMs,
            personId: u.personId,
            level: u.level,
            round: u.round,
          });
      }
      s.stepAtMs = s.deadlineMs;
      await climbOnFrom(ctx, pos);
    } else if (s.phase === 'exhausted') {
      await until(() => s.status !== 'open');
    } else {
      if ((await until(() => s.status !== 'acknowledged', s.deadlineMs)) !== 'timeout') continue;
      // Not resolved in time: the owner is reminded and the ladder climbs again past the owner's level.
      const owner = s.owner!;
      s.stepAtMs = s.deadlineMs;
      s.climbStartMs = s.deadlineMs;
      s.status = 'open';
      s.owner = null;
      event(
        { kind: 'resolution-overdue', atMs: s.stepAtMs, personId: owner.personId, level: owner.pos?.level, round: owner.pos?.round },
        { status: 'open', ownerId: null, acknowledgedAtMs: null },
      );
      const reminderKey = `${keyBase}/reminder/${s.acks}`;
      const { recipients } = await notice(reminderKey, [owner.personId], { withAckTokens: true });
      const minutes = policy.resolutionTimeoutMinutes;
      send(recipients, reminderKey, (r) => ({
        template: 'reminder',
        ...facts(),
        owner: owner.displayName,
        minutesSinceAck: minutes,
        ackToken: r.ackToken!,
      }));
      await climbOnFrom(ctx, owner.pos ?? s.pos ?? startPosition(policy, severity));
    }
    if (workflowInfo().continueAsNewSuggested && s.phase !== 'notify' && background.size === 0) {
      await flush();
      await condition(allHandlersFinished);
      if (!resolved() && !ctx.hasPendingEvents()) await continueAsNew<typeof incidentWorkflow>({ ...input, resume: s });
    }
  }

  const resolution = s.resolved!;
  await tellEveryone(`${keyBase}/resolved`, resolution.by.personId, () => ({
    template: 'resolution',
    ...facts(),
    resolvedBy: resolution.by.displayName,
    resolutionCode: resolution.code,
    minutesOpen: Math.round((resolution.atMs - s.raisedAtMs) / 60_000),
  }));
  while (background.size) await Promise.all([...background]);
  await flush();
  await condition(allHandlersFinished);
  // The condition came back after the resolution: that is a new incident, under the same workflow id.
  if (s.reopenWith) {
    await continueAsNew<typeof incidentWorkflow>({
      ...input,
      raiseId: s.reopenWith.raiseId,
      counts: s.reopenWith.counts,
      raisedBy: input.raisedBy,
    });
  }
  return statusNow();
}
