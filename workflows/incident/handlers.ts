/** The incident's query, signal and updates: status, a repeated alert, acknowledge, resolve. */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import {
  acknowledgeUpdate,
  ackRoles,
  alertRepeatedSignal,
  incidentStatusQuery,
  resolveRoles,
  resolveUpdate,
  type AcknowledgeInput,
  type Owner,
  type ResolveInput,
} from '../../domain/escalation';
import type { IncidentContext } from './context';

export function registerIncidentHandlers(ctx: IncidentContext) {
  const { s, policy, incidentId, keyBase, event } = ctx;

  setHandler(incidentStatusQuery, ctx.statusNow);

  setHandler(alertRepeatedSignal, (r) => {
    if (r.raiseId === incidentId || s.seenRaises.includes(r.raiseId)) return;
    // A retried raise arrives again with its id: remember enough of them to fold the retries.
    s.seenRaises = [...s.seenRaises.slice(-49), r.raiseId];
    if (s.status === 'resolved') {
      s.reopenWith ??= r;
      return;
    }
    s.repeats++;
    event(
      {
        kind: 'repeated',
        key: `${incidentId}/repeat/${r.raiseId}`,
        detail: { ...(r.counts as Record<string, number>), repeats: s.repeats },
      },
      { repeats: s.repeats },
    );
  });

  setHandler(
    acknowledgeUpdate,
    ({ by }) => {
      const at = Date.now();
      s.owner = { personId: by.personId, displayName: by.displayName, acknowledgedAt: new Date(at).toISOString(), pos: s.pos };
      s.status = 'acknowledged';
      s.acks++;
      s.phase = 'await-resolution';
      s.stepAtMs = at;
      s.deadlineMs = at + policy.resolutionTimeoutMinutes * 60_000;
      ctx.cancelLevelNotices();
      event(
        { kind: 'acknowledged', atMs: at, personId: by.personId, level: s.pos?.level, round: s.pos?.round },
        { status: 'acknowledged', ownerId: by.personId, acknowledgedAtMs: at },
      );
      const owner = s.owner;
      const acks = s.acks;
      const p = ctx.tellEveryone(`${keyBase}/ack/${acks}`, by.personId, () => ({
        template: 'acknowledgement',
        ...ctx.facts(),
        owner: owner.displayName,
      }));
      ctx.background.add(p);
      void p.finally(() => ctx.background.delete(p));
      return { personId: owner.personId, displayName: owner.displayName, acknowledgedAt: owner.acknowledgedAt };
    },
    {
      validator: ({ by, incidentId: target }: AcknowledgeInput) => {
        if (s.status === 'resolved' || (target && target !== incidentId))
          throw ApplicationFailure.create({ type: ErrorType.InvalidState, message: 'the incident is resolved', nonRetryable: true });
        if (s.status === 'acknowledged' && s.owner) {
          const owner: Owner = { personId: s.owner.personId, displayName: s.owner.displayName, acknowledgedAt: s.owner.acknowledgedAt };
          throw ApplicationFailure.create({
            type: ErrorType.InvalidState,
            message: `already acknowledged by ${owner.displayName}`,
            details: [{ owner }],
            nonRetryable: true,
          });
        }
        if (!ctx.onLadder(by.personId) && !by.roles.some((r) => ackRoles.includes(r))) {
          throw ApplicationFailure.create({
            type: ErrorType.NotAllowed,
            message: 'only a person on the escalation ladder, on call or a lead may acknowledge',
            nonRetryable: true,
          });
        }
      },
    },
  );

  setHandler(
    resolveUpdate,
    ({ by, code, noteId }) => {
      const at = Date.now();
      s.status = 'resolved';
      s.resolved = { atMs: at, by, code };
      ctx.cancelLevelNotices();
      event(
        { kind: 'resolved', atMs: at, personId: by.personId, detail: { code, ...(noteId ? { noteId } : {}) } },
        { status: 'resolved', resolvedAtMs: at, resolvedBy: by.personId, resolutionCode: code },
      );
      return ctx.statusNow();
    },
    {
      validator: ({ by, incidentId: target }: ResolveInput) => {
        if (s.status === 'resolved' || (target && target !== incidentId))
          throw ApplicationFailure.create({
            type: ErrorType.InvalidState,
            message: 'the incident is already resolved',
            nonRetryable: true,
          });
        if (!ctx.onLadder(by.personId) && !by.roles.some((r) => resolveRoles.includes(r))) {
          throw ApplicationFailure.create({
            type: ErrorType.NotAllowed,
            message: 'only a person on the escalation ladder, on call, a lead or an admin may resolve',
            nonRetryable: true,
          });
        }
      },
    },
  );
}
