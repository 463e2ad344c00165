import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRepeatedSignal, EscalationPolicy, incidentStatusQuery, resolveUpdate, type IncidentStatus } from '../../domain/escalation';
import { workflowIds } from '../../domain/ids';
import { compareAgainSignal, parallelRunStatusQuery } from '../../domain/parallel-run';
import { businessDayOf } from '../../domain/rules/time';
import { closeEmergencyUpdate, declareEmergencyUpdate, recordBacklogUpdate, restoreSystemsUpdate } from '../../domain/rollout';
import { raiseIncident } from '../../app/incidents';
import type { parallelRunWorkflow } from '../../workflows';
import { skipTime } from '../helpers/temporal';
import { DAY, itdir, programTestBed, vp, type Program, type ProgramTestBed } from '../helpers/program';
import { forceContinueAsNew, noopReport, padding, pilotLive, startedEvent, withoutClock } from '../helpers/program-lifecycle';

/**
 * The program's life beyond the happy path (issue 14's loose ends): continue-as-new keeps the
 * whole state of the program and of an incident, a year of parallel run keeps histories and
 * state small, and a program terminated or cancelled takes its parallel run down with it.
 */
let bed: ProgramTestBed;
let env: ProgramTestBed['env'];
let db: ProgramTestBed['db'];
let p: ProgramTestBed['driver'];

beforeAll(async () => {
  bed = await programTestBed('lifecycle');
  ({ env, db, driver: p } = bed);
});
afterAll(() => bed?.close());

const programId = (h: WorkflowHandle) => h.workflowId.slice(h.workflowId.indexOf(':') + 1);
const parallelRun = (h: Program) => env.client.workflow.getHandle<typeof parallelRunWorkflow>(workflowIds.parallelRun(programId(h)));

describe('continue-as-new keeps the whole state', () => {
  it('the program: phase, departments, gates with their decisions, evidence, nights and emergency are the same in the new run, and it goes on', async () => {
    const h = await pilotLive(bed);
    await skipTime(env, 3 * DAY);
    await p.until(h, (s) => s.parallelRun.nightsCompared >= 2);
    await h.executeUpdate(declareEmergencyUpdate, {
      args: [{ actor: { personId: 'p-oncall-01', roles: ['oncall'] }, departments: ['LAB'], reason: 'analyzer feed down' }],
    });
    // Once the mail queue has told everyone (after the declaration answered).
    const before = await p.until(h, (x) => !!x.emergency?.timeline.some((t) => t.event === 'notified'));
    expect(before.phase).toBe('paused');

    const firstRun = (await h.describe()).runId;
    const newRun = await forceContinueAsNew(h, noopReport(h));
    expect((await env.client.workflow.getHandle(h.workflowId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect((await startedEvent(env, h.workflowId, newRun)).continuedExecutionRunId).toBe(firstRun);
    const after = await p.status(h);
    expect(withoutClock(after)).toEqual(withoutClock(before));

    // The new run carries on where the old one was: the emergency ends, the pilot's exit gate is decided.
    const oncall = { personId: 'p-oncall-01', roles: ['oncall' as const] };
    await h.executeUpdate(restoreSystemsUpdate, { args: [{ actor: oncall, reason: 'feed back' }] });
    await h.executeUpdate(recordBacklogUpdate, { args: [{ actor: oncall, department: 'LAB', paperRecords: 0 }] });
    await h.executeUpdate(closeEmergencyUpdate, {
      args: [{ actor: { personId: 'p-lead-01', roles: ['lead'] }, reconciliation: 'manual', reason: 'checked' }],
    });
    await p.passGate(h, 'exit-1', [vp, itdir]);
    const s = await p.status(h);
    expect(s.gates.find((g) => g.gate === 'exit-1')!.status).toBe('go');
    expect(s.gates.find((g) => g.gate === 'readiness')!.decisions).toEqual(before.gates.find((g) => g.gate === 'readiness')!.decisions);
    // One program.started in the trail: the new run did not start the program again.
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE target->>'programId' = $1 AND action = 'program.started'`,
      [programId(h)],
    );
    expect(rows[0].n).toBe(1);
  });

  it('an incident: its raise, repeats, ladder position and notices carry over, a repeat seen before is still folded', async () => {
    const policy = EscalationPolicy.parse({
      timeZone: 'Asia/Shanghai',
      levels: [{ people: ['p-l1'] }, { people: ['p-l2'] }, { people: ['p-l3'] }],
      repeats: 1,
      leadership: ['p-boss'],
    });
    const raised = await raiseIncident(env.client, bed.taskQueue, {
      programId: 'can-incident',
      departments: ['ICU'],
      condition: 'step-failed',
      severity: 'sev2',
      counts: { failedSteps: 1 },
      policy,
      raisedBy: 'test',
    });
    const h = env.client.workflow.getHandle(raised.workflowId);
    await h.signal(alertRepeatedSignal, { raiseId: 'repeat-1', counts: { failedSteps: 2 } });
    const waitFor = async (check: (s: IncidentStatus) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const s = await h.query(incidentStatusQuery);
        if (check(s)) return s;
        if (Date.now() > deadline) throw new Error(`incident not there: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const before = await waitFor((s) => s.repeats === 1 && s.position?.level === 1);

    // A raise it has seen (folded at once), padded; the incident looks at the suggestion between
    // ladder steps, so every 12 batches the clock moves 16 minutes: the ladder climbs one level.
    let batches = 0;
    const seenAgain = { raiseId: 'repeat-1', counts: { failedSteps: 2 }, padding } as unknown as Parameters<
      typeof h.signal<[{ raiseId: string; counts: Record<string, number> }]>
    >[1];
    const newRun = await forceContinueAsNew(
      h,
      () => h.signal(alertRepeatedSignal, seenAgain),
      async () => {
        if (++batches % 12 === 0) await skipTime(env, 16 * 60_000);
      },
    );
    expect(newRun).not.toBe(raised.runId);
    expect((await startedEvent(env, h.workflowId, newRun)).continuedExecutionRunId).toBe(raised.runId);
    const after = await waitFor((s) => (s.position?.level ?? 0) >= 2);
    expect(after).toMatchObject({
      incidentId: before.incidentId,
      raisedAt: before.raisedAt,
      status: 'open',
      repeats: 1,
      severity: 'sev2',
      owner: null,
    });
    expect(after.notices.sent).toBeGreaterThanOrEqual(before.notices.sent);
    // A raise it has seen before is still folded; a new one counts.
    await h.signal(alertRepeatedSignal, { raiseId: 'repeat-1', counts: { failedSteps: 2 } });
    await h.signal(alertRepeatedSignal, { raiseId: 'repeat-2', counts: { failedSteps: 3 } });
    expect((await waitFor((s) => s.repeats >= 2)).repeats).toBe(2);
    await h.executeUpdate(resolveUpdate, {
      args: [{ by: { personId: 'p-l2', displayName: 'Staff p-l2', roles: ['oncall'] }, code: 'fixed' }],
    });
    expect((await h.result()).status).toBe('resolved');
  });
});

describe('a program that ends without ending its run', () => {
  it('a program that continued as new is running: its parallel run goes on', async () => {
    const h = await pilotLive(bed);
    await forceContinueAsNew(h, noopReport(h));
    // An extra comparison of a day already over is due at once: the run checks the program first.
    const run = parallelRun(h);
    const day = businessDayOf((await env.currentTimeMs()) - 2 * DAY, 'Asia/Shanghai');
    await run.signal(compareAgainSignal, {
      businessDay: day,
      reason: 'after the program continued as new',
      actor: { personId: 'p-lead-01', roles: ['lead'] },
    });
    await expect.poll(async () => (await run.query(parallelRunStatusQuery)).lastNight?.kind, { timeout: 30_000 }).toBe('extra');
    expect((await run.describe()).status.name).toBe('RUNNING');
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE target->>'programId' = $1 AND action = 'parallel-run.ended'`,
      [programId(h)],
    );
    expect(rows[0].n).toBe(0);
  });
});
