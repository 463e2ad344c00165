/**
 * Emergency: paper operation. Pause the cutover, put departments on downtime procedures, tell
 * everyone, restore the systems, back-enter the paper records, reconcile, and give the all-clear.
 */
import { programUpdates } from '../../domain/program-contract';
import { ActivityFailure, isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { ErrorType, nonRetryableErrorTypes } from '../../domain/errors';
import { closeEmergencyBlocker, emergencyOpen, emergencyPeople, type EmergencyRuntime, type QueuedMail } from '../../domain/program';
import { departmentView, emergencyView, programStatus } from '../../domain/program-status';
import { pauseStepsSignal, resumeStepsSignal } from '../../domain/rollout';
import { iso, notifyPeople, refuse, type ProgramContext } from './context';

const { enterDowntime, leaveDowntime } = proxyActivities<Activities>({
  // Switching a department's systems to downtime and building its packet: seconds.
  startToCloseTimeout: '1m',
  // An emergency must not wait on a broken adapter: three quick tries, then the failure is
  // shown on the emergency (the department's team switches by hand) and everything else goes on.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes },
});

const { notifyPeople: notifyEmergencyContacts } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  // The contacts' e-mail is tried for 10 s, then the emergency shows it failed (the sev1
  // incident, raised first, pages the ladder and leadership and rides out the outage itself)
  // and the same e-mails are retried without a bound.
  scheduleToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '4s', nonRetryableErrorTypes },
});

type NotifyInput = Parameters<typeof notifyPeople>[0];
type NotifyResult = Awaited<ReturnType<typeof notifyPeople>>;

const mark = (ctx: ProgramContext, e: EmergencyRuntime, event: string, department?: string) =>
  e.timeline.push({ atMs: ctx.now(), event, department });

/** The department's primary system: the adapter of its first go-live step. */
function primaryAdapter(ctx: ProgramContext, code: string) {
  const dept = ctx.plan.departments.find((x) => x.code === code)!;
  return ctx.plan.adapters.find((a) => a.id === dept.steps[0]!.adapter)!;
}

/** Back-entry is over when, after the systems are back, every department reported zero. */
function checkBacklogCleared(ctx: ProgramContext, e: EmergencyRuntime) {
  if (e.restoredAtMs === undefined || e.backlogClearedAtMs !== undefined) return;
  if (e.departments.every((c) => e.backlog[c] === 0)) {
    e.backlogClearedAtMs = ctx.now();
    mark(ctx, e, 'backlog-cleared');
  }
}

const told = (ctx: ProgramContext, e: EmergencyRuntime, result: NotifyResult) => {
  mark(ctx, e, 'notified');
  // Results recorded before `rejected` existed lack it.
  if (result.rejected?.length) mark(ctx, e, `mail refused for ${result.rejected.length}`);
};

const retryable = (err: ActivityFailure) => {
  const type = (err.cause as { type?: string } | undefined)?.type;
  return !type || !(nonRetryableErrorTypes as readonly string[]).includes(type);
};

/**
 * The emergency notice from the mail loop: tried for 10 s, shown as failed, then retried
 * without a bound (same keys: nobody gets it twice); the timeline says "notified" once it is out.
 */
export async function sendEmergencyNotice(ctx: ProgramContext, m: QueuedMail) {
  const e = ctx.s.emergency?.n === m.emergency ? ctx.s.emergency : undefined;
  const input = m as unknown as NotifyInput;
  try {
    const result = await notifyEmergencyContacts(input);
    if (e) told(ctx, e, result);
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    if (e) mark(ctx, e, 'notify-failed');
    if (!retryable(err)) return;
    const result = await notifyPeople(input);
    if (e) told(ctx, e, result);
  }
}

export function registerEmergencyHandlers(ctx: ProgramContext) {
  const { s, plan } = ctx;
  const raiseSev1 = async (e: EmergencyRuntime, added: string[]) => {
    if (!(await ctx.raise('emergency-declared', 'sev1', added, { departments: added.length }))) mark(ctx, e, 'incident-not-raised');
  };

  ctx.handle(programUpdates.declareEmergency, {
    check: ({ departments }) => {
      if (s.phase === 'completed' || s.phase === 'aborted') ctx.invalidState(`the program is ${s.phase}`);
      const unknown = (departments ?? []).filter((c: string) => !s.departments[c]);
      if (unknown.length) refuse(ErrorType.InvalidInput, `no department ${unknown.join(', ')} in this plan`);
    },
    run: async ({ actor, departments, reason }) => {
      if (!emergencyOpen(s)) {
        s.emergencies += 1;
        s.emergency = {
          n: s.emergencies,
          reason,
          declaredBy: actor.personId,
          departments: [],
          declaredAtMs: ctx.now(),
          backlog: {},
          packets: {},
          pausedGoLives: [],
          timeline: [],
        };
        mark(ctx, s.emergency, 'declared');
        await ctx.pause(`emergency ${s.emergency.n}: ${reason}`);
        s.pausedReason = `emergency ${s.emergency.n}: ${reason}`;
      }
      const e = s.emergency!;
      const added = (departments ?? plan.departments.map((d) => d.code)).filter((c) => !e.departments.includes(c));
      // Declaring again, or for departments already on paper, changes nothing.
      if (!added.length) return emergencyView(e);
      e.departments.push(...added);
      await ctx.audit(actor, 'emergency.declared', { emergency: String(e.n), departments: added.join(',') }, 'paper', reason);
      for (const code of added) {
        const d = s.departments[code]!;
        // A go-live that finished a moment ago has nothing left to pause.
        if (d.state === 'going-live' && !d.failure && (await ctx.signalGoLive(d, pauseStepsSignal))) {
          e.pausedGoLives.push(code);
          mark(ctx, e, 'go-live-paused', code);
        }
      }
      await Promise.all(
        added.map(async (code) => {
          try {
            e.packets[code] = await enterDowntime({
              programId: ctx.programId,
              emergency: e.n,
              department: code,
              adapter: primaryAdapter(ctx, code),
              forms: plan.emergency.downtimeForms,
            });
            mark(ctx, e, 'downtime-entered', code);
          } catch {
            e.packets[code] = { error: 'the system could not be switched: switch by hand and print the forms' };
            mark(ctx, e, 'downtime-failed', code);
          }
        }),
      );
      // Raised before the e-mail to the contacts (patched: histories from before sent first, with no bound).
      const raiseFirst = ctx.v2 || patched('emergency-raise-first');
      if (raiseFirst) await raiseSev1(e, added);
      const notice: QueuedMail = {
        personIds: emergencyPeople(plan),
        keyPrefix: `${ctx.selfId}/emergency/${e.n}/${e.departments.length}`,
        message: {
          template: 'emergency-declared',
          programId: ctx.programId,
          departments: added,
          condition: 'emergency-declared',
          declaredBy: actor.personId,
          since: iso(e.declaredAtMs),
          timeZone: plan.hospital.timeZone,
        },
        emergency: e.n,
      };
      // v2: the mail loop sends it once this answer is out (sendEmergencyNotice).
      if (ctx.v2) (s.outbox ??= []).push(notice);
      else {
        const input = { personIds: notice.personIds, keyPrefix: notice.keyPrefix, message: notice.message } as unknown as NotifyInput;
        try {
          told(ctx, e, await (raiseFirst ? notifyEmergencyContacts : notifyPeople)(input));
        } catch (err) {
          if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
          mark(ctx, e, 'notify-failed');
          if (retryable(err))
            void notifyPeople(input).then(
              (r) => told(ctx, e, r),
              () => mark(ctx, e, 'notify-failed'),
            );
        }
      }
      if (!raiseFirst) await raiseSev1(e, added);
      return emergencyView(e);
    },
  });

  ctx.handle(programUpdates.recordBacklog, {
    check: ({ department }) => {
      if (!emergencyOpen(s)) ctx.invalidState('no emergency is open');
      if (!s.emergency!.departments.includes(department)) ctx.invalidState(`${department} is not on paper`);
    },
    run: async ({ actor, department, paperRecords }) => {
      const e = s.emergency!;
      e.backlog[department] = paperRecords;
      mark(ctx, e, `backlog ${paperRecords}`, department);
      await ctx.audit(actor, 'emergency.backlog', { emergency: String(e.n), department }, String(paperRecords));
      checkBacklogCleared(ctx, e);
      return emergencyView(e);
    },
  });

  ctx.handle(programUpdates.restoreSystems, {
    check: () => {
      if (!emergencyOpen(s)) ctx.invalidState('no emergency is open');
      if (s.emergency!.restoredAtMs !== undefined) ctx.invalidState('the systems are restored already');
    },
    run: async ({ actor, reason }) => {
      const e = s.emergency!;
      for (const code of e.departments) {
        try {
          // The emergency's number keys the hospital system's switch back (an activity input, no new command).
          await leaveDowntime({ programId: ctx.programId, emergency: e.n, department: code, adapter: primaryAdapter(ctx, code) });
        } catch {
          mark(ctx, e, 'restore-failed', code);
        }
      }
      e.restoredAtMs = ctx.now();
      mark(ctx, e, 'restored');
      await ctx.audit(actor, 'emergency.restored', { emergency: String(e.n) }, 'restored', reason);
      checkBacklogCleared(ctx, e);
      return emergencyView(e);
    },
  });

  ctx.handle(programUpdates.closeEmergency, {
    check: ({ reconciliation }) => {
      const blocker = closeEmergencyBlocker(s, reconciliation);
      if (blocker) ctx.invalidState(blocker);
    },
    run: async ({ actor, reconciliation, reason }) => {
      const e = s.emergency!;
      e.closedAtMs = ctx.now();
      mark(ctx, e, `closed (${reconciliation} reconciliation)`);
      await ctx.audit(actor, 'emergency.closed', { emergency: String(e.n) }, 'closed', reason, {
        reconciliation,
        downtimeMs: e.restoredAtMs! - e.declaredAtMs,
      });
      s.pausedReason = undefined;
      ctx.setPhase(s.pausedFrom ?? 'readiness');
      const entered = Object.values(e.backlog).reduce((a, b) => a + b, 0);
      await ctx.mail({
        personIds: emergencyPeople(plan),
        keyPrefix: `${ctx.selfId}/emergency/${e.n}/all-clear`,
        message: {
          template: 'all-clear',
          programId: ctx.programId,
          departments: e.departments,
          since: iso(e.declaredAtMs),
          endedAt: iso(e.closedAtMs),
          timeZone: plan.hospital.timeZone,
          declaredBy: actor.personId,
          backEnteredRecords: entered,
        },
      });
      return emergencyView(e);
    },
  });

  ctx.handle(programUpdates.resumeDepartment, {
    check: ({ department }) => {
      if (emergencyOpen(s)) ctx.invalidState('the emergency is still open');
      if (!s.emergency?.pausedGoLives.includes(department)) ctx.invalidState(`${department} has no paused go-live`);
    },
    run: async ({ actor, department, reason }) => {
      const d = s.departments[department]!;
      await ctx.signalGoLive(d, resumeStepsSignal);
      s.emergency!.pausedGoLives = s.emergency!.pausedGoLives.filter((c) => c !== department);
      await ctx.audit(actor, 'department.resumed', { department }, 'going-live', reason);
      return departmentView(d);
    },
  });

  ctx.handle(programUpdates.resumeProgram, {
    check: () => {
      if (s.phase !== 'paused') ctx.invalidState('the program is not paused');
      if (emergencyOpen(s)) ctx.invalidState('an emergency is open: end it first');
    },
    run: async ({ actor, reason }) => {
      s.pausedReason = undefined;
      ctx.setPhase(s.pausedFrom ?? 'readiness');
      await ctx.audit(actor, 'program.resumed', {}, s.phase, reason);
      return programStatus(plan, s, ctx.now());
    },
  });
}
