import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retryPolicies } from './retry-policies';
import type { IncidentEvent, IncidentRowUpdate, Recipient } from '../activities/incidents';
import type { MailMessage } from '../activities/mail/templates';
import { nonRetryableErrorTypes, ErrorType } from '../domain/errors';
import {
  acknowledgeUpdate,
  ackRoles,
  ackTimeoutMs,
  advance,
  alertRepeatedSignal,
  IncidentInput,
  incidentStatusQuery,
  resolveRoles,
  resolveUpdate,
  startPosition,
  type AcknowledgeInput,
  type Actor,
  type AlertRepeatedInput,
  type IncidentState,
  type IncidentStatus,
  type LadderPosition,
  type Owner,
  type ResolutionCode,
  type ResolveInput,
} from '../domain/escalation';

const { openIncident, recordIncidentEvents, prepareNotices } = proxyActivities<Activities>({
  // Short PostgreSQL writes; 30 s bounds a hung connection.
  startToCloseTimeout: '30s',
  // No overall limit: the timeline must not lose an entry because PostgreSQL was away for a while.
  retry: retryPolicies.untilRecorded,
});

const { sendEmail } = proxyActivities<Activities>({
  // One SMTP conversation takes seconds; 30 s bounds a hung socket.
  startToCloseTimeout: '30s',
  // An incident notice is still worth sending an hour late (the ladder has moved on meanwhile,
  // it never waits for a send); past that the failure is recorded and the ladder carries the load.
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
});

type Phase = 'notify' | 'await-ack' | 'exhausted' | 'await-resolution';

/** Everything the incident knows, small enough to carry across continue-as-new. */
export interface IncidentProgress {
  raisedAtMs: number;
  status: IncidentState;
  phase: Phase;
  /** The level being (or last) notified. */
  pos: LadderPosition | null;
  /** When the current step was due: notices are stamped with it, timeouts run from it. */
  stepAtMs: number;
  deadlineMs: number;
  /** When the current climb began (raised, or the owner's resolution time ran out). */
  climbStartMs: number;
  owner: (Owner & { pos: LadderPosition | null }) | null;
  acks: number;
  repeats: number;
  seenRaises: string[];
  /** Everyone told so far: they hear of the acknowledgement and the resolution, and may acknowledge. */
  notified: string[];
  leadershipTold: boolean;
  notices: { sent: number; delivered: number; failed: number };
  resolved: { atMs: number; by: Actor; code: ResolutionCode } | null;
  /** A raise that came in after the resolution: it becomes the next incident. */
  reopenWith: AlertRepeatedInput | null;
  seq: number;
}

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
  const incidentId = input.raiseId;
  // The incident id, not a run id: it survives continue-as-new, and an incident reopened under
  // the same workflow id (a new raise after resolution) gets new keys, so its e-mails do go out.
  const keyBase = `${info.workflowId}/${incidentId}`;
  const now = Date.now();
  const s: IncidentProgress = raw.resume ?? {
    raisedAtMs: now,
    status: 'open',
    phase: 'notify',
    pos: startPosition(policy, severity),
    stepAtMs: now,
    deadlineMs: now,
    climbStartMs: now,
    owner: null,
    acks: 0,
    repeats: 0,
    seenRaises: [],
    notified: [],
    leadershipTold: false,
    notices: { sent: 0, delivered: 0, failed: 0 },
    resolved: null,
    reopenWith: null,
    seq: 0,
  };

  const pendingEvents: IncidentEvent[] = [];
  let pendingUpdate: IncidentRowUpdate | undefined;
  const event = (e: Omit<IncidentEvent, 'key' | 'atMs'> & { atMs?: number; key?: string }, update?: IncidentRowUpdate) => {
    pendingEvents.push({ ...e, key: e.key ?? `${incidentId}/${s.seq++}`, atMs: e.atMs ?? Date.now() });
    if (update) pendingUpdate = { ...pendingUpdate, ...update };
  };
  const flush = async () => {
    while (pendingEvents.length || pendingUpdate) {
      const events = pendingEvents.splice(0);
      const update = pendingUpdate;
      pendingUpdate = undefined;
      await recordIncidentEvents({ incidentId, events, update });
    }
  };

  // Sends run in the background; level notices in a scope that an acknowledgement cancels.
  const background = new Set<Promise<void>>();
  const levelScopes = new Set<CancellationScope>();
  const undelivered = new Map<string, { level?: number; round: number; personId: string }>();
  const ladderPeople = new Set([...policy.levels.flatMap((l) => l.people), ...policy.leadership]);
  const onLadder = (personId: string) => ladderPeople.has(personId) || s.notified.includes(personId);

  const facts = () => ({
    incidentId,
    programId: input.programId,
    departments: input.departments,
    severity,
    status: s.status,
    condition: input.condition,
    counts: input.counts,
    since: new Date(s.raisedAtMs).toISOString(),
    timeZone: policy.timeZone,
    ...(s.owner ? { owner: s.owner.displayName } : {}),
  });

  function send(
    recipients: Recipient[],
    noticeKey: string,
    message: (r: Recipient) => MailMessage,
    track?: { level?: number; round: number },
    scope?: CancellationScope,
  ) {
    for (const r of recipients) {
      const idempotencyKey = `${noticeKey}/${r.personId}`;
      if (track) undelivered.set(idempotencyKey, { ...track, personId: r.personId });
      s.notices.sent++;
      const run = async () => {
        try {
          await sendEmail({ idempotencyKey, to: r.email, message: message(r) });
          s.notices.delivered++;
          if (track)
            event({ kind: 'delivered', key: `${idempotencyKey}/delivered`, personId: r.personId, level: track.level, round: track.round });
        } catch (err) {
          if (isCancellation(err)) {
            // Acknowledged or resolved while the e-mail was still queued (SMTP away): the timeline
            // says the retries stopped rather than "queued" for ever.
            if (track && recordSendStopped)
              event({
                kind: 'send-stopped',
                key: `${idempotencyKey}/stopped`,
                personId: r.personId,
                level: track.level,
                round: track.round,
                detail: { reason: s.status },
              });
            return;
          }
          s.notices.failed++;
          const type = (err as { cause?: { type?: string } }).cause?.type;
          event({
            kind: 'delivery-failed',
            key: `${idempotencyKey}/failed`,
            personId: r.personId,
            level: track?.level,
            round: track?.round,
            detail: { reason: type ?? 'timeout' },
          });
        } finally {
          undelivered.delete(idempotencyKey);
        }
      };
      const p = (scope ? scope.run(run) : run()).catch((err) => {
        if (!isCancellation(err)) throw err;
      });
      background.add(p);
      void p.finally(() => background.delete(p));
    }
  }

  async function notice(
    noticeKey: string,
    people: string[],
    opts: { rota?: string; withAckTokens: boolean; notified?: { level?: number; round?: number; detail?: Record<string, string> } },
  ) {
    const { recipients, missing } = await prepareNotices({
      incidentId,
      programId: input.programId,
      noticeKey,
      people,
      rota: opts.rota,
      atMs: s.stepAtMs,
      withAckTokens: opts.withAckTokens,
      notified: opts.notified,
    });
    for (const id of [...recipients.map((r) => r.personId), ...missing]) if (!s.notified.includes(id)) s.notified.push(id);
    return recipients;
  }

  async function notifyLevel(pos: LadderPosition) {
    const level = policy.levels[pos.level - 1]!;
    const noticeKey = `${keyBase}/${pos.level}/${pos.round}`;
    const recipients = await notice(noticeKey, level.people, {
      rota: level.rota,
      withAckTokens: true,
      notified: { level: pos.level, round: pos.round },
    });
    // Acknowledged or resolved while the notices were being prepared: they are moot.
    if (s.status !== 'open') return;
    const first = s.climbStartMs === s.raisedAtMs && s.stepAtMs === s.raisedAtMs;
    const minutes = Math.round((s.stepAtMs - s.climbStartMs) / 60_000);
    const scope = new CancellationScope();
    levelScopes.add(scope);
    send(
      recipients,
      noticeKey,
      (r) =>
        first
          ? { template: 'incident', audience: 'ladder', ...facts(), level: pos.level, round: pos.round, ackToken: r.ackToken! }
          : {
              template: 'escalation',
              ...facts(),
              level: pos.level,
              round: pos.round,
              ackToken: r.ackToken!,
              toppedOut: false,
              minutesUnacknowledged: minutes,
            },
      { level: pos.level, round: pos.round },
      scope,
    );
    const update = { level: pos.level, round: pos.round };
    if (first) pendingUpdate = { ...pendingUpdate, ...update };
    else
      event({ kind: 'escalated', atMs: s.stepAtMs, level: pos.level, round: pos.round, detail: { recipients: recipients.length } }, update);
  }

  async function tellLeadership(how: 'at-once' | 'topped-out', round: number) {
    if (!policy.leadership.length) return;
    s.leadershipTold = true;
    const noticeKey = how === 'at-once' ? `${keyBase}/leadership` : `${keyBase}/top/${round}/${s.acks}`;
    const recipients = await notice(noticeKey, policy.leadership, {
      withAckTokens: true,
      notified: { round, detail: { audience: 'leadership' } },
    });
    const minutes = Math.round((s.stepAtMs - s.climbStartMs) / 60_000);
    const last = policy.levels.length;
    send(
      recipients,
      noticeKey,
      (r) =>
        how === 'at-once'
          ? { template: 'incident', audience: 'leadership', ...facts(), level: s.pos?.level ?? 1, round, ackToken: r.ackToken! }
          : {
              template: 'escalation',
              ...facts(),
              level: last,
              round,
              ackToken: r.ackToken!,
              toppedOut: true,
              minutesUnacknowledged: minutes,
            },
      { round },
    );
    event({ kind: 'leadership-told', atMs: s.stepAtMs, round, detail: { how, recipients: recipients.length } });
  }

  /** To everyone told so far except `except`: what changed (acknowledged, resolved). */
  async function tellEveryone(noticeKey: string, except: string | undefined, message: () => MailMessage) {
    const people = s.notified.filter((p) => p !== except);
    if (!people.length) return;
    const recipients = await notice(noticeKey, people, { withAckTokens: false });
    send(recipients, noticeKey, message);
  }

  function cancelLevelNotices() {
    for (const scope of levelScopes) scope.cancel();
    levelScopes.clear();
  }

  /** The ladder reached past `from`: leadership when it topped out, then the next level or exhaustion. */
  async function climbOnFrom(from: LadderPosition) {
    const { next, toppedOut } = advance(policy, severity, from);
    if (toppedOut) await tellLeadership('topped-out', from.round);
    if (s.status !== 'open') return;
    if (next) {
      s.pos = next;
      s.phase = 'notify';
    } else {
      s.phase = 'exhausted';
      event({ kind: 'ladder-exhausted', atMs: s.stepAtMs, round: from.round });
    }
  }

  const statusNow = (): IncidentStatus => ({
    incidentId,
    programId: input.programId,
    departments: input.departments,
    condition: input.condition,
    severity,
    status: s.status,
    raisedAt: new Date(s.raisedAtMs).toISOString(),
    position: s.pos,
    exhausted: s.phase === 'exhausted' && s.status === 'open',
    owner: s.owner ? { personId: s.owner.personId, displayName: s.owner.displayName, acknowledgedAt: s.owner.acknowledgedAt } : null,
    repeats: s.repeats,
    notices: { ...s.notices },
    resolvedAt: s.resolved ? new Date(s.resolved.atMs).toISOString() : null,
    resolutionCode: s.resolved?.code ?? null,
  });

  setHandler(incidentStatusQuery, statusNow);

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
      cancelLevelNotices();
      event(
        { kind: 'acknowledged', atMs: at, personId: by.personId, level: s.pos?.level, round: s.pos?.round },
        { status: 'acknowledged', ownerId: by.personId, acknowledgedAtMs: at },
      );
      const owner = s.owner;
      const acks = s.acks;
      const p = tellEveryone(`${keyBase}/ack/${acks}`, by.personId, () => ({
        template: 'acknowledgement',
        ...facts(),
        owner: owner.displayName,
      }));
      background.add(p);
      void p.finally(() => background.delete(p));
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
        if (!onLadder(by.personId) && !by.roles.some((r) => ackRoles.includes(r))) {
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
      cancelLevelNotices();
      event(
        { kind: 'resolved', atMs: at, personId: by.personId, detail: { code, ...(noteId ? { noteId } : {}) } },
        { status: 'resolved', resolvedAtMs: at, resolvedBy: by.personId, resolutionCode: code },
      );
      return statusNow();
    },
    {
      validator: ({ by, incidentId: target }: ResolveInput) => {
        if (s.status === 'resolved' || (target && target !== incidentId))
          throw ApplicationFailure.create({
            type: ErrorType.InvalidState,
            message: 'the incident is already resolved',
            nonRetryable: true,
          });
        if (!onLadder(by.personId) && !by.roles.some((r) => resolveRoles.includes(r))) {
          throw ApplicationFailure.create({
            type: ErrorType.NotAllowed,
            message: 'only a person on the escalation ladder, on call, a lead or an admin may resolve',
            nonRetryable: true,
          });
        }
      },
    },
  );

  /** Waits until `done` holds or the deadline passes; wakes early to write the timeline. */
  const until = async (done: () => boolean, deadlineMs?: number) => {
    const wake = () => done() || pendingEvents.length > 0 || pendingUpdate !== undefined;
    if (deadlineMs === undefined) await condition(wake);
    else if (deadlineMs > Date.now()) await condition(wake, deadlineMs - Date.now());
    return done() ? 'done' : deadlineMs !== undefined && Date.now() >= deadlineMs ? 'timeout' : 'woken';
  };

  if (!raw.resume) {
    await openIncident({
      incidentId,
      workflowId: info.workflowId,
      programId: input.programId,
      departments: input.departments,
      condition: input.condition,
      severity,
      counts: input.counts,
      raisedBy: input.raisedBy,
      raisedAtMs: s.raisedAtMs,
    });
    if (policy.severities[severity].leadershipAtOnce) await tellLeadership('at-once', 1);
  }

  // Handlers change the status between awaits: read it through a function, not a narrowed field.
  const resolved = () => s.status === 'resolved';
  while (!resolved()) {
    await flush();
    if (resolved()) break;
    if (s.phase === 'notify') {
      await notifyLevel(s.pos!);
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
      await climbOnFrom(pos);
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
      const recipients = await notice(reminderKey, [owner.personId], { withAckTokens: true });
      const minutes = policy.resolutionTimeoutMinutes;
      send(recipients, reminderKey, (r) => ({
        template: 'reminder',
        ...facts(),
        owner: owner.displayName,
        minutesSinceAck: minutes,
        ackToken: r.ackToken!,
      }));
      await climbOnFrom(owner.pos ?? s.pos ?? startPosition(policy, severity));
    }
    if (workflowInfo().continueAsNewSuggested && s.phase !== 'notify' && background.size === 0) {
      await flush();
      await condition(allHandlersFinished);
      if (!resolved() && !pendingEvents.length) await continueAsNew<typeof incidentWorkflow>({ ...input, resume: s });
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
