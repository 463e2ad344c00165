/**
 * The incident entity: its state (carried across continue-as-new) and the primitives the ladder
 * and the handlers share (the timeline, e-mail sends, notices, the status). Areas live beside this
 * file (ladder, handlers); workflows/incident.ts wires them.
 */
import { CancellationScope, condition, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { retryPolicies } from '../retry-policies';
import type { IncidentEvent, IncidentRowUpdate, Recipient } from '../../activities/incidents';
import type { MailMessage } from '../../activities/mail/templates';
import type { ChatTarget } from '../../domain/chat';
import { nonRetryableErrorTypes } from '../../domain/errors';
import {
  startPosition,
  type Actor,
  type AlertRepeatedInput,
  type IncidentInput,
  type IncidentState,
  type IncidentStatus,
  type LadderPosition,
  type Owner,
  type ResolutionCode,
} from '../../domain/escalation';

const { openIncident, recordIncidentEvents, prepareNotices } = proxyActivities<Activities>({
  // Short PostgreSQL writes; 30 s bounds a hung connection.
  startToCloseTimeout: '30s',
  // No overall limit: the timeline must not lose an entry because PostgreSQL was away for a while.
  retry: retryPolicies.untilRecorded,
});
export { openIncident };

const { sendEmail, sendChat } = proxyActivities<Activities>({
  // One SMTP conversation or webhook call takes seconds; 30 s bounds a hung socket (the webhook
  // call itself gives up after 10 s).
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

export type IncidentContext = ReturnType<typeof incidentContext>;

/**
 * The incident's state and shared primitives. `recordSendStopped` is the patch decision taken at
 * the workflow's start (see workflows/incident.ts).
 */
export function incidentContext(
  input: IncidentInput,
  resume: IncidentProgress | undefined,
  workflowId: string,
  recordSendStopped: boolean,
) {
  const { policy, severity } = input;
  const incidentId = input.raiseId;
  // The incident id, not a run id: it survives continue-as-new, and an incident reopened under
  // the same workflow id (a new raise after resolution) gets new keys, so its e-mails do go out.
  const keyBase = `${workflowId}/${incidentId}`;
  const now = Date.now();
  const s: IncidentProgress = resume ?? {
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
  const updateRow = (update: IncidentRowUpdate) => {
    pendingUpdate = { ...pendingUpdate, ...update };
  };
  const event = (e: Omit<IncidentEvent, 'key' | 'atMs'> & { atMs?: number; key?: string }, update?: IncidentRowUpdate) => {
    pendingEvents.push({ ...e, key: e.key ?? `${incidentId}/${s.seq++}`, atMs: e.atMs ?? Date.now() });
    if (update) updateRow(update);
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
    ...(input.domains?.length ? { domains: input.domains } : {}),
    since: new Date(s.raisedAtMs).toISOString(),
    timeZone: policy.timeZone,
    ...(s.owner ? { owner: s.owner.displayName } : {}),
  });

  /**
   * One message to one person or group over one channel, in the background; true once delivered.
   * The timeline records the delivery or the failure (with the channel, for chat).
   */
  function deliver(
    idempotencyKey: string,
    personId: string,
    op: () => Promise<unknown>,
    track?: { level?: number; round: number },
    chat?: ChatTarget,
  ): Promise<boolean> {
    if (track) undelivered.set(idempotencyKey, { ...track, personId });
    s.notices.sent++;
    const channel: Record<string, string> = chat ? { channel: chat.kind } : {};
    return (async () => {
      try {
        await op();
        s.notices.delivered++;
        if (track)
          event({
            kind: 'delivered',
            key: `${idempotencyKey}/delivered`,
            personId,
            level: track.level,
            round: track.round,
            ...(chat ? { detail: channel } : {}),
          });
        return true;
      } catch (err) {
        if (isCancellation(err)) {
          // Acknowledged or resolved while the message was still queued (SMTP or webhook away): the
          // timeline says the retries stopped rather than "queued" for ever.
          if (track && recordSendStopped)
            event({
              kind: 'send-stopped',
              key: `${idempotencyKey}/stopped`,
              personId,
              level: track.level,
              round: track.round,
              detail: { reason: s.status, ...channel },
            });
          throw err;
        }
        s.notices.failed++;
        const type = (err as { cause?: { type?: string } }).cause?.type;
        event({
          kind: 'delivery-failed',
          key: `${idempotencyKey}/failed`,
          personId,
          level: track?.level,
          round: track?.round,
          detail: { reason: type ?? 'timeout', ...channel },
        });
        return false;
      } finally {
        undelivered.delete(idempotencyKey);
      }
    })();
  }

  function inBackground(work: () => Promise<unknown>, scope?: CancellationScope) {
    const p = (scope ? scope.run(work) : work()).then(
      () => undefined,
      (err) => {
        if (!isCancellation(err)) throw err;
      },
    );
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  /**
   * A message to each recipient by the ways they asked for: e-mail, their chat channels, or both.
   * A person on chat alone is e-mailed after all when none of their channels took it: an alert
   * must reach someone. A rota's group chats get the message without anyone's acknowledge link.
   */
  function send(
    recipients: Recipient[],
    noticeKey: string,
    message: (r: Recipient) => MailMessage,
    track?: { level?: number; round: number },
    scope?: CancellationScope,
    groupChats: ChatTarget[] = [],
  ) {
    for (const r of recipients) {
      const idempotencyKey = `${noticeKey}/${r.personId}`;
      const m = message(r);
      const email = () =>
        deliver(idempotencyKey, r.personId, () => sendEmail({ idempotencyKey, to: r.email, message: m, locale: r.locale }), track);
      const chats = (r.chats ?? []).map(
        (c) => () =>
          deliver(
            `${idempotencyKey}/chat/${c.channelId}`,
            r.personId,
            () =>
              sendChat({ idempotencyKey: `${idempotencyKey}/chat/${c.channelId}`, channelId: c.channelId, message: m, locale: r.locale }),
            track,
            c,
          ),
      );
      if (!chats.length) inBackground(email, scope);
      else if (r.via === 'chat')
        inBackground(async () => {
          const took = await Promise.all(chats.map((c) => c()));
          if (!took.some(Boolean)) await email();
        }, scope);
      else {
        if (r.via === 'both') inBackground(email, scope);
        for (const c of chats) inBackground(c, scope);
      }
    }
    if (groupChats.length) {
      const { ackToken: _personal, ...m } = message({ personId: 'group', displayName: '', email: '' }) as MailMessage & {
        ackToken?: string;
      };
      for (const c of groupChats) {
        const key = `${noticeKey}/group/${c.channelId}`;
        inBackground(
          () =>
            deliver(
              key,
              `group:${c.channelId}`,
              () => sendChat({ idempotencyKey: key, channelId: c.channelId, message: m as MailMessage }),
              track,
              c,
            ),
          scope,
        );
      }
    }
  }

  async function notice(
    noticeKey: string,
    people: string[],
    opts: { rota?: string; withAckTokens: boolean; notified?: { level?: number; round?: number; detail?: Record<string, string> } },
  ) {
    const {
      recipients,
      missing,
      groupChats = [],
    } = await prepareNotices({
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
    return { recipients, groupChats };
  }

  /** To everyone told so far except `except`: what changed (acknowledged, resolved). */
  async function tellEveryone(noticeKey: string, except: string | undefined, message: () => MailMessage) {
    const people = s.notified.filter((p) => p !== except);
    if (!people.length) return;
    const { recipients } = await notice(noticeKey, people, { withAckTokens: false });
    send(recipients, noticeKey, message);
  }

  function cancelLevelNotices() {
    for (const scope of levelScopes) scope.cancel();
    levelScopes.clear();
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

  /** Waits until `done` holds or the deadline passes; wakes early to write the timeline. */
  const until = async (done: () => boolean, deadlineMs?: number) => {
    const wake = () => done() || pendingEvents.length > 0 || pendingUpdate !== undefined;
    if (deadlineMs === undefined) await condition(wake);
    else if (deadlineMs > Date.now()) await condition(wake, deadlineMs - Date.now());
    return done() ? 'done' : deadlineMs !== undefined && Date.now() >= deadlineMs ? 'timeout' : 'woken';
  };

  return {
    input,
    policy,
    severity,
    incidentId,
    keyBase,
    s,
    background,
    levelScopes,
    undelivered,
    onLadder,
    updateRow,
    event,
    /** Timeline entries written down but not yet recorded. */
    hasPendingEvents: () => pendingEvents.length > 0,
    flush,
    facts,
    send,
    notice,
    tellEveryone,
    cancelLevelNotices,
    statusNow,
    until,
  };
}
