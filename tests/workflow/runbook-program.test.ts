/**
 * Runbooks and the program: a dress rehearsal feeds the readiness gate's criterion, a department
 * that names its runbook goes live only once its night's live run has finished, and a rehearsal
 * during the live program touches none of its controls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInput } from '../../app/runbook-runs';
import { putRunbook } from '../../app/runbooks';
import { workflowIds } from '../../domain/ids';
import { parsePlan, type PlanInput } from '../../domain/plan';
import { Runbook } from '../../domain/runbook';
import type { RunbookRunInput } from '../../domain/runbook-run';
import type { runbookRunWorkflow } from '../../workflows';
import { retryDepartmentUpdate, rollBackUpdate } from '../../domain/rollout';
import { dept, itdir, lead, vp, type ProgramTestBed } from '../helpers/program';
import { MIN, nurse, runbookTestBed, state, type Run } from '../helpers/runbook';

let rb: Awaited<ReturnType<typeof runbookTestBed>>;
let bed: ProgramTestBed;

beforeAll(async () => {
  rb = await runbookTestBed('rbprog');
  bed = rb.bed;
});
afterAll(() => bed?.close());

const labNight = Runbook.parse({
  id: 'night-LAB',
  title: 'Laboratory night',
  window: { start: '23:30', minutes: 330 },
  tasks: [
    { id: 'freeze', kind: 'manual', title: 'Freeze registration', owner: { person: 'p-rb-nurse' }, plannedMinutes: 15 },
    {
      id: 'step-grant',
      kind: 'adapter-step',
      title: 'Grant access',
      department: 'LAB',
      owner: { person: 'p-lead-01' },
      predecessors: ['freeze'],
      plannedMinutes: 5,
      step: 'grant-access',
    },
    {
      id: 'census',
      kind: 'validation',
      title: 'Census converted',
      owner: { person: 'p-rb-nurse' },
      predecessors: ['step-grant'],
      plannedMinutes: 30,
    },
    { id: 'end', kind: 'milestone', title: 'LAB live', owner: { person: 'p-lead-01' }, predecessors: ['census'], plannedMinutes: 0 },
  ],
});

async function rehearse(programId: string, runId: string): Promise<Run> {
  const input = (await runInput(bed.db.pool, {
    programId,
    runId,
    mode: 'rehearsal',
    runbook: labNight,
    speed: 10,
    rehearsalRecipients: ['p-rb-rehearsal'],
  })) as RunbookRunInput;
  expect(input.runId).toBe(runId);
  return bed.env.client.workflow.start<typeof runbookRunWorkflow>('runbookRunWorkflow', {
    workflowId: workflowIds.runbookRun(programId, runId),
    taskQueue: bed.taskQueue,
    args: [input],
  });
}

/** A program whose LAB names the runbook night-LAB, its plan stored as the API stores it (runs read it there). */
async function labProgram(edit: (p: PlanInput) => void = () => undefined) {
  let plan: PlanInput | undefined;
  const h = await bed.driver.start((p) => {
    p.departments.find((d) => d.code === 'LAB')!.runbook = 'night-LAB';
    edit(p);
    plan = p;
  });
  await bed.db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'p-lead-01')`, [
    plan!.programId,
    parsePlan(plan),
  ]);
  return { h, programId: plan!.programId };
}

/** Checks the night's people tasks off as they become ready, until the run ends. */
async function work(h: Run) {
  for (;;) {
    const v = await rb.view(h);
    if (v.status === 'finished') return v;
    for (const t of v.tasks.filter((x) => x.status === 'ready' && ['manual', 'validation'].includes(x.kind)))
      await rb.checkOff(h, nurse, t.id, t.kind === 'validation' ? { result: 'pass', evidence: 'TICKET-1' } : {});
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('runbooks in the program', () => {
  it('a dress rehearsal meets the readiness criterion; the pilot department waits for its live night; a rehearsal leaves the live controls alone', async () => {
    const { driver } = bed;
    const { h, programId } = await labProgram((p) => {
      p.gates.readiness.criteria = [{ id: 'rehearsal', runbookId: 'night-LAB', withinDays: 14 }];
    });
    await putRunbook(bed.db.pool, { programId, runbook: labNight, by: 'p-lead-01', source: 'put' });

    // No rehearsal yet: the criterion has no evidence, and says so.
    await driver.request(h, 'readiness');
    let gate = (await driver.status(h)).gates.find((g) => g.gate === 'readiness')!;
    expect(gate.criteria).toEqual([
      {
        id: 'rehearsal',
        comparator: '=',
        threshold: true,
        unit: 'boolean',
        value: null,
        verdict: 'missing',
        rehearsals: { runbookId: 'night-LAB', withinDays: 14, qualifying: [], notQualifying: [] },
      },
    ]);

    const dress = await rehearse(programId, 'dress-1');
    await work(dress);
    const s1 = await driver.until(h, (s) => s.gates.find((g) => g.gate === 'readiness')!.criteria[0]!.verdict === 'pass');
    gate = s1.gates.find((g) => g.gate === 'readiness')!;
    expect(gate.criteria[0]).toMatchObject({ value: true, rehearsals: { qualifying: ['dress-1'], notQualifying: [] } });
    // A rehearsal calls no hospital system for real.
    const calls = () =>
      bed.db.pool.query<{ idempotency_key: string }>(
        'SELECT idempotency_key FROM simulated_system_call WHERE program_id = $1 AND department = $2',
        [programId, 'LAB'],
      );
    expect((await calls()).rows).toEqual([]);

    await driver.decide(h, 'readiness', vp, 'go');
    await driver.decide(h, 'readiness', itdir, 'go');
    await driver.startWave(h, 1);

    // IM-OPD names no runbook: live as before. LAB's steps finish, and it waits for its night.
    const waiting = await driver.until(h, (s) => dept(s, 'LAB').runbook?.awaiting === true && dept(s, 'IM-OPD').state === 'live-parallel');
    expect(dept(waiting, 'LAB')).toMatchObject({
      state: 'going-live',
      completedSteps: ['grant-access', 'route-interfaces', 'switch-analyzer-feed'],
      runbook: { runId: 'live-LAB-1', status: 'running', awaiting: true },
    });
    expect(waiting.waves[0]!.status).toBe('going-live');
    // The live controls stay usable while it waits.
    expect(waiting.allowedActions).toEqual(expect.arrayContaining(['declare-emergency', 'roll-back:LAB']));

    const night = bed.env.client.workflow.getHandle(workflowIds.runbookRun(programId, 'live-LAB-1')) as Run;
    const ran = await work(night);
    expect(ran).toMatchObject({ mode: 'live', runbookId: 'night-LAB', runbookVersion: 1 });
    expect(state(ran, 'step-grant').status).toBe('done');
    const live = await driver.until(h, (s) => dept(s, 'LAB').state === 'live-parallel');
    expect(dept(live, 'LAB').runbook).toEqual({ runId: 'live-LAB-1', status: 'finished', awaiting: false });
    expect(live.waves[0]!.status).toBe('live');
    // The night's adapter step and the go-live's shared their key: the laboratory system did it once.
    expect((await calls()).rows.map((r) => r.idempotency_key).sort()).toEqual(
      ['grant-access', 'route-interfaces', 'switch-analyzer-feed'].map((st) => `golive:${programId}:LAB:1/${st}/do`).sort(),
    );
    const audit = await bed.db.pool.query(
      `SELECT action, result FROM audit_log WHERE target->>'programId' = $1 AND action IN ('department.runbook-started', 'department.steps-done', 'department.live') AND target->>'department' = 'LAB' ORDER BY seq`,
      [programId],
    );
    expect(audit.rows).toEqual([
      { action: 'department.runbook-started', result: 'running' },
      { action: 'department.steps-done', result: 'awaiting-runbook' },
      { action: 'department.live', result: 'live-parallel' },
    ]);

    // A rehearsal while the program is live: late, it raises nothing; finished, it changes no
    // department, no emergency, no rollback; the program's controls are all still there.
    const before = await driver.status(h);
    const dress2 = await rehearse(programId, 'dress-2');
    await rb.until(dress2, (v) => state(v, 'freeze').status === 'ready');
    await rb.sleep(dress2, 4 * MIN); // 15 + 10 minutes at 10 times: late after 2.5 minutes
    const late = await rb.until(dress2, (v) => v.escalations.length > 0);
    expect(late.escalations).toMatchObject([{ taskId: 'freeze', raised: false }]);
    await work(dress2);
    const reported = () =>
      bed.db.pool.query(
        `SELECT 1 FROM audit_log WHERE target->>'programId' = $1 AND action = 'runbook.run-reported' AND target->>'runId' = 'dress-2'`,
        [programId],
      );
    for (let i = 0; i < 100 && !(await reported()).rowCount; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await reported()).rowCount).toBe(1);
    const now = await driver.status(h);
    expect(bed.raised.filter((r) => r.programId === programId)).toEqual([]);
    expect(now.emergency).toBeUndefined();
    expect(now.departments.map((d) => [d.code, d.state])).toEqual(before.departments.map((d) => [d.code, d.state]));
    expect(now.allowedActions).toEqual(expect.arrayContaining(['declare-emergency', 'roll-back:LAB', 'roll-back:IM-OPD']));
    expect(now.phase).toBe(before.phase);
  });

  it('a night that cannot start fails its department before any step (no stored runbook); stored and retried it runs; rolled back while it waits, the department goes back at once and its night is cancelled', async () => {
    const { driver } = bed;
    const { h, programId } = await labProgram();
    await driver.passGate(h, 'readiness');
    await driver.startWave(h, 1);
    const failed = await driver.until(h, (s) => !!dept(s, 'LAB').failure);
    expect(dept(failed, 'LAB')).toMatchObject({
      state: 'going-live',
      completedSteps: [],
      failure: { stepId: 'runbook', reason: "the night's runbook cannot start: no stored runbook night-LAB" },
      runbook: { runId: 'live-LAB-1', status: 'failed' },
    });
    expect(failed.allowedActions).toContain('retry-department:LAB');
    expect(bed.raised.filter((r) => r.programId === programId)).toMatchObject([{ condition: 'step-failed', departments: ['LAB'] }]);
    const calls = () =>
      bed.db.pool.query('SELECT 1 FROM simulated_system_call WHERE program_id = $1 AND department = $2', [programId, 'LAB']);
    expect((await calls()).rowCount).toBe(0);

    await putRunbook(bed.db.pool, { programId, runbook: labNight, by: 'p-lead-01', source: 'put' });
    await h.executeUpdate(retryDepartmentUpdate, { args: [{ actor: lead, department: 'LAB', reason: 'runbook stored' }] });
    const waiting = await driver.until(h, (s) => dept(s, 'LAB').runbook?.awaiting === true);
    expect(dept(waiting, 'LAB').runbook).toMatchObject({ runId: 'live-LAB-2', status: 'running' });

    // Its go-live has finished, so there is nothing to stop: the rollback starts at once.
    await h.executeUpdate(rollBackUpdate, { args: [{ actor: lead, departments: ['LAB'], reason: 'the lab asks to go back' }] });
    const back = await driver.until(h, (s) => dept(s, 'LAB').state === 'rolled-back');
    expect(dept(back, 'LAB').runbook).toMatchObject({ awaiting: false });
    // Its night is cancelled with it: the night's adapter steps must not switch the lab again behind the rollback.
    expect(dept(back, 'LAB').runbook).toEqual({ runId: 'live-LAB-2', status: 'cancelled', awaiting: false });
    const night = bed.env.client.workflow.getHandle(workflowIds.runbookRun(programId, 'live-LAB-2'));
    await expect(night.result()).rejects.toThrow();
    expect((await night.describe()).status.name).toBe('CANCELLED');
    const cancelled = await bed.db.pool.query(
      `SELECT reason FROM audit_log WHERE target->>'programId' = $1 AND action = 'department.runbook-cancelled'`,
      [programId],
    );
    expect(cancelled.rows).toEqual([{ reason: 'the department is rolled back' }]);
  });
});
